package orchestra

import (
	"context"
	"crypto/rand"
	mrand "math/rand/v2"
	"time"

	"github.com/eo-mixnet/eo/internal/drill"
	"github.com/eo-mixnet/eo/peers"
)

// The adversary drills (package internal/drill): an authority whose
// Options.Drill names a kind misbehaves that way, in the tests and in
// eotest's local clusters only (no configuration key reaches them). The
// others must end the election correctly or stop it cleanly, and blame it.

// adversary returns this authority's adversary kind, "" for an honest one.
func (e *election) adversary() string { return e.srv.drill.Adversary() }

// dkgDrill returns the key-generation drill of a dishonest dealer or
// complainer, which picks on the next authority; nil for an honest one.
func (e *election) dkgDrill() *drill.DKG { return e.srv.drill.DKG(e.self, e.n()) }

// garbage sends malformed messages to every other authority until ctx
// ends: random frames of random types, and well-framed key-generation
// envelopes of this election whose content is random.
func (e *election) garbage(ctx context.Context) {
	if e.adversary() != drill.Garbage {
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
