package proofs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/eo-mixnet/eo/group"
)

// GeneratorsDST is the RFC 9380 domain-separation tag of eo's generators.
const GeneratorsDST = "eo-v1-generators-ristretto255_XMD:SHA-512_R255MAP_RO_"

// ErrBadGenerators reports a derived set that contains the identity, the
// base point or a duplicate; it happens with negligible probability.
var ErrBadGenerators = errors.New("proofs: derived generators are degenerate")

// GeneratorMessage is the hash-to-group input of the i-th generator of a
// domain: len(domain) (4 bytes, big endian) ‖ domain ‖ i (8 bytes, big endian).
func GeneratorMessage(domain string, i int) []byte {
	msg := make([]byte, 0, 12+len(domain))
	msg = binary.BigEndian.AppendUint32(msg, uint32(len(domain)))
	msg = append(msg, domain...)
	return binary.BigEndian.AppendUint64(msg, uint64(i))
}

// DeriveGenerators returns n generators h_0 … h_{n-1} whose discrete
// logarithms to each other and to the base point nobody knows: h_i is
// hash_to_ristretto255(GeneratorMessage(domain, i)) with DST GeneratorsDST
// (RFC 9380). The domain names what the generators are for, e.g. the
// election and session. It uses up to GOMAXPROCS goroutines and checks
// that the set holds no identity, no base point and no duplicate.
func DeriveGenerators(domain string, n int) ([]*group.Element, error) {
	if n < 0 {
		return nil, fmt.Errorf("proofs: negative number of generators")
	}
	out := make([]*group.Element, n)
	workers := min(runtime.GOMAXPROCS(0), max(1, n/256))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				h, err := group.HashToElement(GeneratorMessage(domain, i), []byte(GeneratorsDST))
				if err != nil {
					panic("proofs: internal error: " + err.Error())
				}
				out[i] = h
			}
		}()
	}
	wg.Wait()
	// The base point goes first, so that a generator equal to it is
	// reported as a repeat.
	withBase := append([]*group.Element{group.NewGeneratorElement()}, out...)
	if i, bad := group.VarTimeFirstRepeat(withBase); bad {
		return nil, fmt.Errorf("%w: h_%d is the identity, the base point or a repeat", ErrBadGenerators, i-1)
	}
	return out, nil
}
