package threshold

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/eo-mixnet/eo/internal/fuzzseed"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/stretchr/testify/require"
)

// corpus is one deterministic run of a 2-of-3 key generation with every
// message that reached authority 1 (in delivery order), the public result,
// the key shares and a decryption share of a small list.
type corpus struct {
	toOne    []packet
	all      [][]byte // one message of each phase, then the decryption share
	pub      *DKGPublic
	keys     []*KeyShare
	list     *elgamal.List
	dshare   []byte
	tr       []byte
	keyShare []byte
}

var (
	corpusMu  sync.Mutex
	theCorpus *corpus
)

// getCorpus builds the corpus on first use, failing t if it cannot.
func getCorpus(t testing.TB) *corpus {
	corpusMu.Lock()
	defer corpusMu.Unlock()
	if theCorpus != nil {
		return theCorpus
	}
	c := &corpus{}
	nw := newNetwork(t, 3, 2, 4242)
	seen := map[Phase]bool{}
	nw.tamper = func(from, to int, data []byte) []byte {
		if to == 1 {
			c.toOne = append(c.toOne, packet{from, to, bytes.Clone(data)})
		}
		if !seen[phaseOf(data)] {
			seen[phaseOf(data)] = true
			c.all = append(c.all, bytes.Clone(data))
		}
		return data
	}
	nw.run()
	res := nw.results()
	c.pub = res[1].Public
	c.keys = []*KeyShare{nil, res[1].Share, res[2].Share, res[3].Share}
	c.list, _ = testList(t, c.pub.PublicKey, 2, 2, 4243)
	m, err := c.keys[2].DecryptionShare(c.pub, c.list, testRand(4244))
	require.NoError(t, err)
	c.dshare = m.Bytes()
	c.all = append(c.all, c.dshare)
	c.tr = res[1].Transcript.Bytes()
	c.keyShare = res[3].Share.Bytes()
	theCorpus = c
	return c
}

func TestMessagesRoundTripAndStrictness(t *testing.T) {
	c := getCorpus(t)
	require.Len(t, c.all, 9) // eight key-generation phases and a decryption share
	for _, data := range c.all {
		m, err := DecodeMessage(data)
		require.NoError(t, err)
		require.Equal(t, data, m.Bytes())
		h := m.MessageHeader()
		require.Equal(t, testElection, h.ElectionID)
		require.Equal(t, phaseOf(data), h.Phase)
		// Every truncation and every extension is rejected.
		for i := 0; i < len(data); i++ {
			_, err := DecodeMessage(data[:i])
			require.ErrorIs(t, err, ErrMalformed, "%s truncated to %d", h.Phase, i)
		}
		for _, extra := range [][]byte{{0}, {1}, make([]byte, 32)} {
			_, err := DecodeMessage(append(bytes.Clone(data), extra...))
			require.ErrorIs(t, err, ErrMalformed, "%s extended", h.Phase)
		}
		// Other magic, version, empty identifiers, sender 0 or 33.
		for _, mod := range []func(b []byte){
			func(b []byte) { b[0] = 'E' },
			func(b []byte) { b[4] = 2 },
			func(b []byte) { b[6+1+len(testElection)+1+len(testSession)] = 0 },
			func(b []byte) { b[6+1+len(testElection)+1+len(testSession)] = 33 },
		} {
			b := bytes.Clone(data)
			mod(b)
			_, err := DecodeMessage(b)
			require.ErrorIs(t, err, ErrMalformed, "%s", h.Phase)
		}
	}
}

func TestMessagesRejectBadValues(t *testing.T) {
	c := getCorpus(t)
	hdr := Header{ElectionID: "e", SessionID: "s", Sender: 1}
	enc := func(m Message) []byte { return m.Bytes() }
	id := group.NewIdentityElement()
	g := group.NewGeneratorElement()
	one := group.ScalarFromUint64(1)
	withPhase := func(p Phase) Header { h := hdr; h.Phase = p; return h }
	ok := [][]byte{
		enc(&DealMessage{hdr: withPhase(PhaseDKGDeal), commitments: []*group.Element{g}}),
		enc(&ShareMessage{hdr: withPhase(PhaseDKGShare), recipient: 2, share: one, blinding: one}),
		enc(&ComplaintsMessage{hdr: withPhase(PhaseDKGComplaints), echo: make([]Digest, 2), accused: []int{2, 3}}),
	}
	for _, b := range ok {
		_, err := DecodeMessage(b)
		require.NoError(t, err)
	}
	bad := map[string][]byte{
		"identity commitment":  enc(&DealMessage{hdr: withPhase(PhaseDKGDeal), commitments: []*group.Element{g, id}}),
		"no commitments":       enc(&DealMessage{hdr: withPhase(PhaseDKGDeal)}),
		"share to self":        enc(&ShareMessage{hdr: withPhase(PhaseDKGShare), recipient: 1, share: one, blinding: one}),
		"complaint about self": enc(&ComplaintsMessage{hdr: withPhase(PhaseDKGComplaints), echo: make([]Digest, 2), accused: []int{1}}),
		"unsorted complaints":  enc(&ComplaintsMessage{hdr: withPhase(PhaseDKGComplaints), echo: make([]Digest, 3), accused: []int{3, 2}}),
		"repeated complaint":   enc(&ComplaintsMessage{hdr: withPhase(PhaseDKGComplaints), echo: make([]Digest, 3), accused: []int{2, 2}}),
		"empty echo":           enc(&ComplaintsMessage{hdr: withPhase(PhaseDKGComplaints)}),
		"identity feldman":     enc(&ExtractionMessage{hdr: withPhase(PhaseDKGExtraction), echo: make([]Digest, 1), commitments: []*group.Element{id}}),
		"justify self": enc(&JustificationsMessage{hdr: withPhase(PhaseDKGJustifications), echo: make([]Digest, 1),
			entries: []revealedShare{{Party: 1, Share: one, Blinding: one}}}),
		"unsorted entries": enc(&ReconstructionMessage{hdr: withPhase(PhaseDKGReconstruction), echo: make([]Digest, 1),
			entries: []revealedShare{{Party: 3, Share: one, Blinding: one}, {Party: 2, Share: one, Blinding: one}}}),
	}
	// A scalar ≥ ℓ in a share: ℓ itself.
	share := enc(&ShareMessage{hdr: withPhase(PhaseDKGShare), recipient: 2, share: one, blinding: one})
	ell := []byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	copy(share[len(share)-64:], ell)
	bad["scalar = ℓ"] = share
	// A non-canonical element (all 0xff) in a deal.
	deal := enc(&DealMessage{hdr: withPhase(PhaseDKGDeal), commitments: []*group.Element{g}})
	copy(deal[len(deal)-32:], bytes.Repeat([]byte{0xff}, 32))
	bad["non-canonical element"] = deal
	// Decryption shares: a huge declared count, zero width, an identity
	// factor.
	ds := bytes.Clone(c.dshare)
	off := len(ds) - proofs128 - 2*2*32 - 6
	huge := bytes.Clone(ds)
	binary.BigEndian.PutUint32(huge[off+2:], 1<<31)
	bad["huge count"] = huge
	zw := bytes.Clone(ds)
	binary.BigEndian.PutUint16(zw[off:], 0)
	bad["zero width"] = zw
	idf := bytes.Clone(ds)
	copy(idf[off+6:], make([]byte, 32))
	bad["identity factor"] = idf
	for name, b := range bad {
		m, err := DecodeMessage(b)
		require.ErrorIs(t, err, ErrMalformed, name)
		require.Nil(t, m, name)
	}
	require.Equal(t, 1, strings.Count(string(c.dshare[:4]), messageMagic))
}

const proofs128 = 128

var writeSeeds = flag.Bool("write-seeds", false, "rewrite the fuzz seed corpora in testdata/fuzz")

// TestWriteFuzzSeeds writes the seed corpora of the fuzz targets:
//
//	go test -run TestWriteFuzzSeeds -write-seeds ./threshold
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -write-seeds to rewrite testdata/fuzz")
	}
	c := getCorpus(t)
	write := func(target, name string, values ...any) { fuzzseed.Write(t, target, name, values...) }
	for _, data := range c.all {
		ph := phaseOf(data)
		write("FuzzDecodeMessage", "valid-"+ph.String(), data)
		write("FuzzDecodeMessage", "truncated-"+ph.String(), data[:len(data)-1])
		write("FuzzDecodeMessage", "extended-"+ph.String(), append(bytes.Clone(data), 0))
	}
	for k, p := range c.toOne {
		if k%3 == 0 {
			write("FuzzDKGHandle", fmt.Sprintf("valid-%02d-%s", k, phaseOf(p.data)), p.data, p.from, k)
		}
	}
	last := c.toOne[len(c.toOne)-1]
	write("FuzzDKGHandle", "conflict", bytes.Replace(last.data, last.data[len(last.data)-8:], make([]byte, 8), 1), last.from, len(c.toOne)-1)
	write("FuzzDKGHandle", "wrong-sender", c.toOne[0].data, 3-c.toOne[0].from+2, 0)
	write("FuzzVerifyDecryptionShare", "valid", c.dshare)
	bad := bytes.Clone(c.dshare)
	bad[len(bad)-1] ^= 1
	write("FuzzVerifyDecryptionShare", "bad-response", bad)
	bad = bytes.Clone(c.dshare)
	bad[len(bad)-proofs128-1] ^= 4
	write("FuzzVerifyDecryptionShare", "bad-factor", bad)
	write("FuzzVerifyDecryptionShare", "other-sender", rewrite(t, c.dshare, func(m *DecryptionShareMessage) { m.Sender = 3 }))
	write("FuzzDecodeDKGTranscript", "valid", c.tr)
	write("FuzzDecodeDKGTranscript", "truncated", c.tr[:len(c.tr)-3])
	write("FuzzDecodeKeyShare", "valid", c.keyShare)
	write("FuzzDecodeKeyShare", "index-0", append([]byte{0}, c.keyShare[1:]...))
	write("FuzzDecodeCiphertextList", "valid", c.list.Bytes(), 2, 2)
	write("FuzzDecodeCiphertextList", "huge-n", c.list.Bytes(), 2, 1<<40)
}
