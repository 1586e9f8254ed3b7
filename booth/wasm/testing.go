//go:build js && wasm && boothtesting

package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	mrand "math/rand/v2"

	"github.com/eo-mixnet/eo/booth"
)

// This file exists only in the test build (-tags boothtesting): the
// browser tests compare the ballots the browser makes from a fixed seed
// with those package booth makes natively from the same seed, byte for
// byte. A seed fixes all the randomness of a ballot, so these functions
// must never reach a voter: the module the booth serves is built without
// the tag and has no way to take a seed.
//
//	testingOnlyEncryptBallot({seed, request}) → booth.Encrypt(ChaCha8(seed), request)
//	testingOnlyAuditBallot({seed, request})   → booth.Audit(ChaCha8(seed), request)
//
// seed is 64 hex digits, the 32-byte seed of math/rand/v2's ChaCha8.
func init() {
	api["testingOnlyEncryptBallot"] = seeded(booth.Encrypt)
	api["testingOnlyAuditBallot"] = seeded(booth.Audit)
}

type seededRequest struct {
	Seed    string          `json:"seed"`
	Request json.RawMessage `json:"request"`
}

func seeded(f func(rand io.Reader, req *booth.Request) (*booth.Ballot, error)) func([]byte) (any, error) {
	return func(b []byte) (any, error) {
		var sr seededRequest
		if err := json.Unmarshal(b, &sr); err != nil {
			return nil, err
		}
		seed, err := hex.DecodeString(sr.Seed)
		if err != nil || len(seed) != 32 {
			return nil, errors.New("booth: the seed is not 64 hex digits")
		}
		req, err := booth.DecodeRequest(sr.Request)
		if err != nil {
			return nil, err
		}
		return f(mrand.NewChaCha8([32]byte(seed)), req)
	}
}
