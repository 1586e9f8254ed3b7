package record_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/eo-mixnet/eo/ballot"
	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/record"
)

// A tally service verifies the published record before it shows any
// result, and shows the counts the verifier recomputed from the record.
func ExampleVerifyPath() {
	// An election run in process: three authorities, any two can decrypt,
	// one yes/no question (1 = yes, 2 = no).
	cfg := &record.ElectionConfig{ElectionID: "example", N: 3, T: 2,
		Questions: []record.QuestionConfig{{SessionID: "referendum", Width: 1}}}
	keys, err := record.SimulateKeys(cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	pk := keys[0].Public.PublicKey
	ctx := ballot.Context{ElectionID: cfg.ElectionID, Question: 0, PK: pk, Width: 1}
	var ballots bytes.Buffer
	for i, vote := range []uint64{1, 2, 1, 1} {
		m, err := elgamal.EncodeUint64(vote)
		if err != nil {
			log.Fatal(err)
		}
		b, err := ballot.Encrypt(nil, ctx, []*group.Element{m}, fmt.Sprintf("voter-%d", i))
		if err != nil {
			log.Fatal(err)
		}
		ballots.Write(b.MarshalLine())
		ballots.WriteByte('\n')
	}
	authorities := make([]*record.Key, cfg.N)
	for i := range authorities {
		if authorities[i], err = record.GenerateKey(i+1, fmt.Sprintf("authority-%d.example", i+1)); err != nil {
			log.Fatal(err)
		}
	}
	rec, err := record.Simulate(cfg, keys, [][]byte{ballots.Bytes()}, record.SimulateOptions{
		Mixers: []int{3, 1}, Decryptors: []int{1, 2}, Sign: record.MixSigner(authorities), Verify: record.MixVerifier(authorities)})
	if err != nil {
		log.Fatal(err)
	}
	files, err := record.Build(rec, authorities)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "eo-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tally.tar.gz")
	out, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := record.WriteTarGz(out, files); err != nil {
		log.Fatal(err)
	}
	if err := out.Close(); err != nil {
		log.Fatal(err)
	}

	// The tally service's side.
	rep, err := record.VerifyPath(path, record.Options{})
	if err != nil {
		log.Fatal(err) // unreadable: treat as record.ExitMalformed
	}
	fmt.Println("valid:", rep.Valid())
	if !rep.Valid() {
		for _, f := range rep.Failures {
			fmt.Println(f.Check, f.Location, f.Message)
		}
		return
	}
	for _, q := range rep.Questions {
		fmt.Printf("question %d: %d ballots, %d mixes\n", q.Index, q.Accepted, q.Mixes)
		for _, c := range q.Counts {
			fmt.Printf("  %s: %d\n", c.Plaintext, c.Count)
		}
	}
	// Output:
	// valid: true
	// question 0: 4 ballots, 2 mixes
	//   1: 3
	//   2: 1
}
