package ballot

import (
	"bytes"
	"errors"
	"testing"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/testrand"
	"github.com/eo-mixnet/eo/proofs"
)

// TestEncryptForAudit: the audited ballot is the one Encrypt makes from
// the same randomness, byte for byte, and its revealed randomness opens
// it to its plaintexts.
func TestEncryptForAudit(t *testing.T) {
	ctx := testContext(t, 1)
	for _, w := range []int{1, 3} {
		ctx.Width = w
		m := testrand.Elements(t, testrand.New(7), w)
		plain, err := Encrypt(testrand.New(8), ctx, m, "voter-1")
		if err != nil {
			t.Fatal(err)
		}
		b, r, err := EncryptForAudit(testrand.New(8), ctx, m, "voter-1")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.MarshalLine(), plain.MarshalLine()) {
			t.Fatal("EncryptForAudit's ballot is not Encrypt's")
		}
		got, err := OpenAudited(ctx, b, r)
		if err != nil {
			t.Fatal(err)
		}
		for j := range m {
			if got[j].Equal(m[j]) != 1 {
				t.Fatalf("width %d: pair %d opens to another plaintext", w, j)
			}
		}
	}
}

func TestOpenAuditedRefuses(t *testing.T) {
	ctx := testContext(t, 1)
	ctx.Width = 2
	m := testrand.Elements(t, testrand.New(7), 2)
	b, r, err := EncryptForAudit(nil, ctx, m, "")
	if err != nil {
		t.Fatal(err)
	}
	one := group.NewScalar()
	if _, err := one.SetCanonicalBytes(append([]byte{1}, make([]byte, 31)...)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ctx  Context
		r    []*group.Scalar
		want error
	}{
		{"r_1 + 1", ctx, []*group.Scalar{r[0], group.NewScalar().Add(r[1], one)}, ErrAuditFailed},
		{"swapped", ctx, []*group.Scalar{r[1], r[0]}, ErrAuditFailed},
		{"one scalar", ctx, r[:1], ErrAuditFailed},
		{"three scalars", ctx, []*group.Scalar{r[0], r[1], r[1]}, ErrAuditFailed},
		{"nil scalar", ctx, []*group.Scalar{r[0], nil}, ErrAuditFailed},
		{"another key", testContext(t, 2), r, proofs.ErrInvalidProof},
		{"another election", Context{ElectionID: "other", Question: ctx.Question, PK: ctx.PK}, r, proofs.ErrInvalidProof},
	} {
		if _, err := OpenAudited(tc.ctx, b, tc.r); !errors.Is(err, tc.want) {
			t.Errorf("%s: OpenAudited = %v, want %v", tc.name, err, tc.want)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
}
