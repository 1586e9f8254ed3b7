package vectors

import (
	"bytes"
	"crypto/sha512"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"

	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/threshold"
)

// SessionFaults is the session id of the key generation with faults.
const SessionFaults = "q0-faults"

// DKGFaultsVector is a key-generation transcript whose replay takes every
// branch of doc/verify.md §6 that an honest run never takes.
type DKGFaultsVector struct {
	Description      string     `json:"description"`
	Session          string     `json:"session"`
	Transcript       string     `json:"dkg_transcript"`
	Hash             string     `json:"dkg_transcript_sha512"`
	Qualified        []int      `json:"qual"`
	PublicKey        string     `json:"public_key"`
	VerificationKeys []string   `json:"verification_keys"`
	Faults           []DKGFault `json:"faults"`
}

// DKGFault is one fault the replay reports (threshold.md §3).
type DKGFault struct {
	Party  int    `json:"party"`
	Kind   string `json:"kind"`
	Phase  int    `json:"phase"`
	Detail string `json:"detail"`
}

// dkgWithFaults runs a key generation of n = 3, t = 2 in memory where
// authority 1 is a bad dealer against 2 (2 complains, 1 opens the same bad
// share: 1 is disqualified), the share from 2 to 3 is lost (3 complains, 2
// opens a good share: the complaint is refuted), and authority 3 stops after
// phase 4 (it is in QUAL but sends no Feldman values, so 1 and 2
// reconstruct it in phase 7). It returns authority 1's transcript.
func dkgWithFaults() (*threshold.DKGTranscript, error) {
	const n, t, crashed = N, T, 3
	var seed [32]byte
	copy(seed[:], "eo/test vectors: dkg faults")
	rnd := mrand.NewChaCha8(seed)
	nodes := make([]*threshold.DKG, n+1)
	for i := 1; i <= n; i++ {
		cfg := threshold.DKGConfig{ElectionID: ElectionID, SessionID: SessionFaults, N: n, T: t, Self: i, Rand: rnd}
		if i == 1 {
			cfg.Drill = &drill.DKG{Kind: drill.BadDealer, Victim: 2}
		}
		d, err := threshold.NewDKG(cfg)
		if err != nil {
			return nil, err
		}
		nodes[i] = d
	}
	type msg struct {
		from, to int
		data     []byte
	}
	var queue []msg
	down := func(i int) bool { return i == crashed && nodes[i].Phase() >= threshold.PhaseDKGExtraction }
	send := func(from int, o *threshold.DKGOutbox) {
		if o == nil {
			return
		}
		for _, b := range o.Broadcast {
			if from == crashed && b.Phase() >= threshold.PhaseDKGExtraction {
				continue
			}
			for to := 1; to <= n; to++ {
				if to != from {
					queue = append(queue, msg{from, to, b.Bytes()})
				}
			}
		}
		for _, p := range o.Private {
			if from == 2 && p.To() == 3 {
				continue // lost
			}
			queue = append(queue, msg{from, p.To(), p.Bytes()})
		}
	}
	for i := 1; i <= n; i++ {
		o, err := nodes[i].Start()
		if err != nil {
			return nil, err
		}
		send(i, o)
	}
	for round := 0; !nodes[1].Done() || !nodes[2].Done(); round++ {
		for len(queue) > 0 {
			m := queue[0]
			queue = queue[1:]
			if down(m.to) {
				continue
			}
			o, err := nodes[m.to].Handle(m.from, m.data)
			if err != nil {
				return nil, fmt.Errorf("authority %d: %w", m.to, err)
			}
			send(m.to, o)
		}
		if round > 64 {
			return nil, errors.New("key generation does not finish")
		}
		// Every message was delivered: those furthest behind give up on
		// the missing ones.
		lowest := threshold.Phase(255)
		for i := 1; i <= n; i++ {
			if !nodes[i].Done() && !down(i) {
				lowest = min(lowest, nodes[i].Phase())
			}
		}
		for i := 1; i <= n; i++ {
			if !nodes[i].Done() && !down(i) && nodes[i].Phase() == lowest {
				o, err := nodes[i].Expire()
				if err != nil {
					return nil, fmt.Errorf("authority %d: %w", i, err)
				}
				send(i, o)
			}
		}
	}
	r1, err := nodes[1].Result()
	if err != nil {
		return nil, err
	}
	r2, err := nodes[2].Result()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(r1.Transcript.Bytes(), r2.Transcript.Bytes()) {
		return nil, errors.New("authorities 1 and 2 hold different transcripts")
	}
	return r1.Transcript, nil
}

func dkgFaultsVector() (*DKGFaultsVector, error) {
	tr, err := dkgWithFaults()
	if err != nil {
		return nil, fmt.Errorf("key generation with faults: %w", err)
	}
	b := tr.Bytes()
	pub, faults, err := threshold.VerifyDKGTranscript(tr)
	if err != nil {
		return nil, err
	}
	h := sha512.Sum512(b)
	v := &DKGFaultsVector{
		Description: "A key generation of the same election (session " + SessionFaults + ", n = 3, t = 2) with faults (doc/verify.md §6, threshold.md §3): authority 1 deals a bad share to 2 and opens the same bad share when 2 complains (1 is disqualified); the share from 2 to 3 is lost, 3 complains and 2 opens a good share (complaint refuted); authority 3 stops after phase 4, so it is absent from phase 5 on and, being in QUAL, is reconstructed in phase 7 from the shares of 1 and 2. faults lists what the replay reports, in the order eo reports them: party (the authority blamed, or for a refuted complaint the complainer), kind (the names of verify.md §6), phase (its number) and eo's detail text (informative).",
		Session:     SessionFaults, Transcript: hx(b), Hash: hx(h[:]), Qualified: pub.Qualified, PublicKey: hx(pub.PublicKey.Bytes()),
	}
	if !bytes.Equal(h[:], pub.TranscriptHash[:]) {
		return nil, errors.New("transcript hash")
	}
	for i := 1; i <= N; i++ {
		v.VerificationKeys = append(v.VerificationKeys, el(pub.VerificationKey(i)))
	}
	for _, f := range faults {
		v.Faults = append(v.Faults, DKGFault{Party: f.Party, Kind: f.Kind.String(), Phase: int(f.Phase), Detail: f.Detail})
	}
	// The run must show what it is meant to show.
	has := func(party int, kind string) bool {
		return slices.ContainsFunc(v.Faults, func(f DKGFault) bool { return f.Party == party && f.Kind == kind })
	}
	if !slices.Equal(pub.Qualified, []int{2, 3}) || !has(1, "disqualified") || !has(3, "complaint refuted") || !has(3, "bad extraction") {
		return nil, fmt.Errorf("key generation with faults: QUAL %v, faults %v", pub.Qualified, faults)
	}
	return v, nil
}
