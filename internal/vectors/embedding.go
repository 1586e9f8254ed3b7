package vectors

import (
	"fmt"
	"math/big"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
)

// EmbeddingFile is embedding.json.
type EmbeddingFile struct {
	Description string         `json:"description"`
	Integers    []EmbeddedInt  `json:"integers"`
	Invalid     []InvalidPoint `json:"invalid"`
}

// EmbeddedInt is an integer, its message, the counter that embeds it and
// the element.
type EmbeddedInt struct {
	Integer string   `json:"integer"`
	Message string   `json:"message"`
	Counter int      `json:"counter"`
	Tried   []string `json:"candidates_before"` // the candidates that did not decode (or were the identity)
	Element string   `json:"element"`
}

// InvalidPoint is an element that decodes as `invalid`, and why.
type InvalidPoint struct {
	Element string `json:"element"`
	Reason  string `json:"reason"`
}

func embeddingFile(e *election) (any, error) {
	f := &EmbeddingFile{Description: "The plaintext embedding (doc/verify.md §5.1) of integers, with the candidates tried before the first that is a canonical non-identity element, and elements that decode as invalid (§5.2) with the step that rejects them."}
	ints := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(255), big.NewInt(256), big.NewInt(1000)}
	ints = append(ints, new(big.Int).Lsh(big.NewInt(1), 64), new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 240), big.NewInt(1)))
	for _, v := range ints {
		m := v.Bytes()
		ctr, ok := firstCounter(m)
		if !ok {
			return nil, fmt.Errorf("%v: no counter", v)
		}
		el, err := elgamal.EncodeInt(v)
		if err != nil {
			return nil, err
		}
		if hx(el.Bytes()) != hx(candidate(m, ctr)) {
			return nil, fmt.Errorf("%v: elgamal.EncodeInt differs from the spec", v)
		}
		got, err := elgamal.DecodeInt(el)
		if err != nil || got.Cmp(v) != 0 {
			return nil, fmt.Errorf("%v: elgamal.DecodeInt: %v %v", v, got, err)
		}
		ei := EmbeddedInt{Integer: v.String(), Message: hx(m), Counter: ctr, Element: hx(el.Bytes())}
		for c := range ctr {
			ei.Tried = append(ei.Tried, hx(candidate(m, c)))
		}
		f.Integers = append(f.Integers, ei)
	}
	// Elements that embed no integer.
	one := []byte{1}
	first, _ := firstCounter(one)
	second := -1
	for c := first + 1; c < 512; c++ {
		if x, err := group.DecodeElement(candidate(one, c)); err == nil && x.IsIdentity() == 0 {
			second = c
			break
		}
	}
	lead, err := elgamal.EncodePlaintext([]byte{0, 1})
	if err != nil {
		return nil, err
	}
	var long []byte
	for c := range 512 { // a canonical element whose length field is 31
		s := candidate(nil, c)
		s[31] = 31 | s[31]&0x60
		if x, err := group.DecodeElement(s); err == nil && x.IsIdentity() == 0 {
			long = s
			break
		}
	}
	for _, p := range []InvalidPoint{
		{hx(make([]byte, 32)), "the identity: step 3 (the empty message's first counter is not 0, whose candidate is the identity)"},
		{el(group.NewGeneratorElement()), "the base point: step 2 (non-zero padding)"},
		{hx(candidate(one, second)), fmt.Sprintf("message 01 with counter %d: step 3 (its first counter is %d)", second, first)},
		{hx(lead.Bytes()), "message 00 01: step 4 (a leading zero byte)"},
		{hx(long), "length 31: step 1"},
	} {
		b, _ := unhex(p.Element)
		x, err := group.DecodeElement(b)
		if err != nil {
			return nil, fmt.Errorf("%s: not an element", p.Reason)
		}
		if _, ok := decodeIntSpec(b); ok {
			return nil, fmt.Errorf("%s: the spec decodes it", p.Reason)
		}
		if _, err := elgamal.DecodeInt(x); err == nil {
			return nil, fmt.Errorf("%s: elgamal.DecodeInt decodes it", p.Reason)
		}
		f.Invalid = append(f.Invalid, p)
	}
	return f, nil
}
