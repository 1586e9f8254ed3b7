package orchestra

import (
	"context"
	"sync"
	"time"

	"github.com/eo-mixnet/eo/peers"
)

// inbound is a decoded message from an authority of the election.
type inbound struct {
	from int    // the sender's index in the election
	host string // the sender's host name
	typ  peers.MessageType
	env  *envelope
}

// maxPending bounds the messages an election holds unconsumed; a peer that
// floods one ends that election, not the daemon.
const maxPending = 20000

// mailbox holds an election's received messages until its goroutine takes
// them, in arrival order.
type mailbox struct {
	mu       sync.Mutex
	items    []*inbound
	notify   chan struct{}
	overflow bool
}

func newMailbox() *mailbox { return &mailbox{notify: make(chan struct{}, 1)} }

func (m *mailbox) put(in *inbound) {
	m.mu.Lock()
	if len(m.items) >= maxPending {
		m.overflow = true
	} else {
		m.items = append(m.items, in)
	}
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// take removes and returns the first message that match accepts, or nil.
func (m *mailbox) take(match func(*inbound) bool) (*inbound, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, in := range m.items {
		if match(in) {
			m.items = append(m.items[:i], m.items[i+1:]...)
			return in, m.overflow
		}
	}
	return nil, m.overflow
}

// wait blocks until a message arrives, the timer fires (false) or ctx ends.
func (m *mailbox) wait(ctx context.Context, d time.Duration) (bool, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-m.notify:
		return true, nil
	case <-t.C:
		return false, nil
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
}
