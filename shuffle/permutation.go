package shuffle

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// Permutation is a permutation of {0, …, n−1}: p[j] is the input that
// output j takes.
type Permutation []int

// RandomPermutation returns a uniformly random permutation of n elements,
// by Fisher–Yates with indices drawn by rejection sampling from rand
// (crypto/rand if nil), so no index is biased by a modulo.
func RandomPermutation(r io.Reader, n int) (Permutation, error) {
	if r == nil {
		r = rand.Reader
	}
	// One read per index would make a system call per index.
	r = bufio.NewReaderSize(r, 4096)
	p := make(Permutation, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j, err := uniform(r, uint64(i)+1)
		if err != nil {
			return nil, err
		}
		p[i], p[j] = p[j], p[i]
	}
	return p, nil
}

// uniform returns an integer uniformly distributed in [0, bound), bound ≥ 1,
// by rejecting draws above the largest multiple of the power of two.
func uniform(r io.Reader, bound uint64) (int, error) {
	mask := uint64(1)<<bits.Len64(bound-1) - 1
	var buf [8]byte
	for {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return 0, fmt.Errorf("shuffle: reading randomness: %w", err)
		}
		if v := binary.LittleEndian.Uint64(buf[:]) & mask; v < bound {
			return int(v), nil
		}
	}
}

// Inverse returns p⁻¹.
func (p Permutation) Inverse() Permutation {
	inv := make(Permutation, len(p))
	for j, i := range p {
		inv[i] = j
	}
	return inv
}

// valid reports whether p is a permutation of its length.
func (p Permutation) valid() bool {
	seen := make([]bool, len(p))
	for _, i := range p {
		if i < 0 || i >= len(p) || seen[i] {
			return false
		}
		seen[i] = true
	}
	return true
}
