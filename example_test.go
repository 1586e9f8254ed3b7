package eo_test

import (
	"fmt"
	"log"
	"slices"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/record"
	"github.com/eo-mixnet/eo/shuffle"
	"github.com/eo-mixnet/eo/threshold"
)

// Verify an election record, as any observer can: a directory or a
// tally.tar.gz.
func Example_verifyARecord() {
	rep, err := record.VerifyPath("testdata/records/valid", record.Options{})
	if err != nil {
		log.Fatal(err) // the record could not be read at all
	}
	fmt.Println("election", rep.ElectionID, "valid:", rep.Valid())
	for _, q := range rep.Questions {
		fmt.Printf("question %d: %d ballots, %d mixes, decrypted by %v\n", q.Index, q.Accepted, q.Mixes, q.Shares)
		for _, c := range q.Counts {
			fmt.Printf("  %s: %d\n", c.Plaintext, c.Count)
		}
	}
	for _, f := range rep.Failures {
		fmt.Println(f.Check, f.Location, f.Message) // which check failed, where
	}
	// Output:
	// election eo-corpus valid: true
	// question 0: 5 ballots, 2 mixes, decrypted by [1 2 3]
	//   1: 2
	//   2: 2
	//   3: 1
	// question 1: 5 ballots, 2 mixes, decrypted by [1 2 3]
	//   1,2: 2
	//   2,1: 2
	//   3,3: 1
}

// Run a mix and verify it, as a mixer and every other authority do. The
// list of ciphertexts and its canonical encoding travel together in an
// elgamal.List.
func Example_runAndVerifyAMix() {
	key, err := elgamal.GenerateKey(nil)
	if err != nil {
		log.Fatal(err)
	}
	cts := make([]*elgamal.Ciphertext, 100)
	for i := range cts {
		m, _ := elgamal.EncodeUint64(uint64(i % 7))
		cts[i], _ = elgamal.Encrypt(nil, key.Public(), []*group.Element{m})
	}
	in, err := elgamal.NewList(cts)
	if err != nil {
		log.Fatal(err)
	}

	// The mixer: generators derived by hashing, once per session and size.
	gens, err := shuffle.NewGenerators("election-1", "question-0", in.Len())
	if err != nil {
		log.Fatal(err)
	}
	ctx := &shuffle.Context{ElectionID: "election-1", SessionID: "question-0", Position: 1, PublicKey: key.Public(), Width: 1}
	out, proof, err := shuffle.ShuffleAndProve(nil, ctx, gens, in)
	if err != nil {
		log.Fatal(err)
	}

	// Any verifier, from the bytes it received: the output comes back
	// decoded and verified.
	verified, err := shuffle.VerifyBytes(ctx, gens, in, out.Bytes(), proof.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified", verified.Len(), "ciphertexts")
	fmt.Println("same plaintexts:", slices.Equal(sortedPlaintexts(key, in), sortedPlaintexts(key, verified)))
	// Output:
	// verified 100 ciphertexts
	// same plaintexts: true
}

func sortedPlaintexts(key *elgamal.PrivateKey, l *elgamal.List) []uint64 {
	var out []uint64
	for _, c := range l.Ciphertexts() {
		v, _ := elgamal.DecodeUint64(key.Decrypt(c)[0])
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// Produce, verify and combine decryption shares: any t of the n
// authorities decrypt, each with a proof.
func Example_decryptionShares() {
	// In production each authority opens its own key share:
	// keystore.OpenKeyShare(dir, passphrase, electionID, question). Here
	// a 2-of-3 key generation runs in memory to make three shares.
	keys, err := record.SimulateKeys(&record.ElectionConfig{ElectionID: "election-1", N: 3, T: 2,
		Questions: []record.QuestionConfig{{SessionID: "question-0", Width: 1}}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	pub, shares := keys[0].Public, keys[0].Shares

	cts := make([]*elgamal.Ciphertext, 5)
	for i := range cts {
		m, _ := elgamal.EncodeUint64(uint64(10 + i))
		cts[i], _ = elgamal.Encrypt(nil, pub.PublicKey, []*group.Element{m})
	}
	list, err := elgamal.NewList(cts)
	if err != nil {
		log.Fatal(err)
	}

	// Authorities 1 and 3 each publish a share with its proof.
	var published []*threshold.DecryptionShareMessage
	for _, i := range []int{1, 3} {
		m, err := shares[i-1].DecryptionShare(pub, list, nil)
		if err != nil {
			log.Fatal(err)
		}
		published = append(published, m)
	}
	// Anyone checks a share apart, or combines any t valid ones.
	if _, err := threshold.VerifyDecryptionShare(pub, list, published[0]); err != nil {
		log.Fatal(err)
	}
	dec, err := threshold.ThresholdDecrypt(pub, list, published)
	if err != nil {
		log.Fatal(err)
	}
	var got []uint64
	for _, pt := range dec.Plaintexts {
		v, _ := elgamal.DecodeUint64(pt[0])
		got = append(got, v)
	}
	fmt.Println(got)
	fmt.Println("decrypted with the shares of", dec.Valid)
	// Output:
	// [10 11 12 13 14]
	// decrypted with the shares of [1 3]
}
