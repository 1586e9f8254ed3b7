package orchestra

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/chacha20"

	"github.com/eo-mixnet/eo/internal/atomicfile"
	"github.com/eo-mixnet/eo/threshold"
)

// A key generation survives a restart by event sourcing: its randomness
// comes from a seed sealed before it starts (q<k>.dkgseed), and every
// input of the state machine — each message received, each expiry of a
// stalled round — is appended to a sealed log (q<k>.dkglog) before the
// machine sees it. A restarted authority builds the machine from the seed,
// replays the log, and so holds the same state and has sent the same
// messages, which it sends again (the others drop identical duplicates).
// Both files go once the key generation has ended.

func fileDKGSeed(q int) string { return fmt.Sprintf("q%d.dkgseed", q) }
func fileDKGLog(q int) string  { return fmt.Sprintf("q%d.dkglog", q) }
func fileDKGSent(q int) string { return fmt.Sprintf("q%d.dkgsent", q) }

// resendDKG is the field of a msgResend asking for key-generation
// messages.
const resendDKG = "dkg"

// resendCreated is the field of a msgResend asking for msgCreated.
const resendCreated = "created"

type dkgEntry struct {
	expire bool
	from   int
	data   []byte
}

type dkgLog struct {
	e       *election
	q       int
	seed    []byte
	entries []dkgEntry
}

// openDKGLog reads question q's seed and log, making the seed if there is
// none.
func (e *election) openDKGLog(q int) (*dkgLog, error) {
	ks := e.srv.ks
	w := &dkgLog{e: e, q: q}
	seed, err := ks.ReadSecret(e.rel(fileDKGSeed(q)))
	if errors.Is(err, fs.ErrNotExist) {
		seed = make([]byte, chacha20.KeySize)
		if _, err := rand.Read(seed); err != nil {
			return nil, err
		}
		if err := ks.WriteSecret(e.rel(fileDKGSeed(q)), seed); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if len(seed) != chacha20.KeySize {
		return nil, fmt.Errorf("%s: wrong length", fileDKGSeed(q))
	}
	w.seed = seed
	b, err := ks.ReadSecret(e.rel(fileDKGLog(q)))
	if errors.Is(err, fs.ErrNotExist) {
		return w, nil
	}
	if err != nil {
		return nil, err
	}
	if w.entries, err = parseDKGLog(b); err != nil {
		return nil, fmt.Errorf("%s: %w", fileDKGLog(q), err)
	}
	return w, nil
}

// parseDKGLog decodes a key-generation log: entries of kind (0 message,
// 1 expiry), sender, u32 length and data, to the end.
func parseDKGLog(b []byte) ([]dkgEntry, error) {
	var out []dkgEntry
	for len(b) > 0 {
		if len(b) < 6 {
			return nil, errors.New("truncated")
		}
		en := dkgEntry{expire: b[0] == 1, from: int(b[1])}
		l := uint64(binary.BigEndian.Uint32(b[2:6]))
		if b[0] > 1 || l > uint64(len(b)-6) {
			return nil, errors.New("malformed")
		}
		en.data = b[6 : 6+l]
		b = b[6+l:]
		out = append(out, en)
	}
	return out, nil
}

// encodeDKGLog is the inverse of parseDKGLog.
func encodeDKGLog(entries []dkgEntry) []byte {
	var b []byte
	for _, x := range entries {
		kind := byte(0)
		if x.expire {
			kind = 1
		}
		b = append(b, kind, byte(x.from))
		b = binary.BigEndian.AppendUint32(b, uint32(len(x.data)))
		b = append(b, x.data...)
	}
	return b
}

// append logs an input durably before the machine handles it.
func (w *dkgLog) append(en dkgEntry) error {
	w.entries = append(w.entries, en)
	b := encodeDKGLog(w.entries)
	err := w.e.srv.ks.WriteLog(w.e.rel(fileDKGLog(w.q)), b)
	clear(b)
	return err
}

// rand is the machine's randomness: the ChaCha20 key stream of the seed.
func (w *dkgLog) rand() io.Reader {
	c, err := chacha20.NewUnauthenticatedCipher(w.seed, make([]byte, chacha20.NonceSize))
	if err != nil {
		panic("orchestra: internal error: " + err.Error())
	}
	return &keyStream{c}
}

type keyStream struct{ c *chacha20.Cipher }

func (k *keyStream) Read(p []byte) (int, error) {
	clear(p)
	k.c.XORKeyStream(p, p)
	return len(p), nil
}

// remove deletes the seed and the log once the key generation ended.
func (w *dkgLog) remove() {
	clear(w.seed)
	for _, name := range []string{fileDKGSeed(w.q), fileDKGLog(w.q)} {
		if err := atomicfile.Remove(filepath.Join(w.e.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			w.e.log.Warn("key-generation state not removed", "file", name, "error", err.Error())
		}
	}
}

// encodeBroadcasts encodes the broadcasts of an outbox (public) as
// length-prefixed messages.
func encodeBroadcasts(o *threshold.DKGOutbox) []byte {
	var b []byte
	for _, m := range o.Broadcast {
		b = binary.BigEndian.AppendUint32(b, uint32(len(m.Bytes())))
		b = append(b, m.Bytes()...)
	}
	return b
}

func decodeBroadcasts(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("truncated")
		}
		l := int(binary.BigEndian.Uint32(b))
		if l > len(b)-4 {
			return nil, errors.New("malformed")
		}
		out = append(out, b[4:4+l])
		b = b[4+l:]
	}
	return out, nil
}

// crashPoint kills the process with SIGKILL at the named point when the
// crash drill (Options.Drill.CrashAt) names it ("point" or "point:n" for
// its n-th passage): the fault drill of the crash tests (doc/daemon.md),
// which only an eorchestra built with -tags drill sets, from
// $EO_CRASH_AT. The in-process drill hook (Options.Drill.At) is called
// at every point. It does nothing otherwise.
func (s *Server) crashPoint(name string) {
	if s.drill != nil && s.drill.At != nil {
		s.drill.At(s.ctx, name)
	}
	if s.crash.point == "" || s.crash.point != name {
		return
	}
	s.crash.mu.Lock()
	s.crash.seen++
	hit := s.crash.seen == s.crash.n
	s.crash.mu.Unlock()
	if hit {
		s.log.Warn("crash drill: killing this process", "point", name)
		p, _ := os.FindProcess(os.Getpid())
		p.Kill()
		select {}
	}
}
