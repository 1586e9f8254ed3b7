package orchestra

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/peers"
)

// Adversary kinds: an authority configured with one (Config.Adversary)
// misbehaves that way, for fault drills and tests (eotest --adversary).
// The others must end the election correctly or stop it cleanly, and
// blame it.
const (
	AdvBadDealer      = "bad-dealer"       // deals a bad share to the next authority and defends it with the same bad share
	AdvFalseComplaint = "false-complaint"  // accuses the next authority's honest deal
	AdvBadShuffle     = "bad-shuffle"      // publishes a signed mix whose proof does not verify
	AdvBadDecryption  = "bad-decryption"   // publishes a decryption share with a wrong factor
	AdvGarbage        = "garbage-messages" // sends malformed messages to every authority, and otherwise follows the protocol
)

// AdversaryKinds lists the kinds, for flags and their help.
var AdversaryKinds = []string{AdvBadDealer, AdvFalseComplaint, AdvBadShuffle, AdvBadDecryption, AdvGarbage}

func (e *election) adversary() string { return e.srv.cfg.Adversary }

// victim is the authority an adversary picks on: the next one.
func (e *election) victim() int { return e.self%e.n() + 1 }

// dkgDrill returns the key-generation drill of a dishonest dealer or
// complainer, nil for an honest authority.
func (e *election) dkgDrill() *drill.DKG {
	switch k := e.adversary(); k {
	case AdvBadDealer, AdvFalseComplaint:
		return &drill.DKG{Kind: k, Victim: e.victim()}
	}
	return nil
}

// garbage sends malformed messages to every other authority until ctx
// ends: random frames of random types, and well-framed key-generation
// envelopes of this election whose content is random.
func (e *election) garbage(ctx context.Context) {
	if e.adversary() != AdvGarbage {
		return
	}
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			junk := make([]byte, mrand.IntN(512))
			rand.Read(junk)
			typ := peers.MessageType(1 + mrand.IntN(12))
			body := junk
			if mrand.IntN(2) == 0 {
				// A well-framed key-generation message of this election
				// whose content is junk: the state machine must reject it.
				typ = msgDKG
				body = (&envelope{Election: e.id, Q: uint32(mrand.IntN(2)), Fields: [][]byte{junk}}).bytes()
			}
			for _, i := range e.others() {
				sctx, cancel := context.WithTimeout(ctx, time.Second)
				e.srv.tr.Send(sctx, e.name(i), peers.Message{Type: typ, Body: body})
				cancel()
			}
		}
	}()
}

func checkAdversary(kind string) error {
	if kind == "" {
		return nil
	}
	for _, k := range AdversaryKinds {
		if k == kind {
			return nil
		}
	}
	return fmt.Errorf("adversary %q: want one of %v", kind, AdversaryKinds)
}
