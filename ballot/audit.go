package ballot

import (
	"bytes"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
)

// ErrAuditFailed is wrapped by OpenAudited's errors: the revealed
// randomness does not open the ballot.
var ErrAuditFailed = errors.New("ballot: audit failed")

// recorder keeps every byte read from r.
type recorder struct {
	r   io.Reader
	buf []byte
}

func (rc *recorder) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	rc.buf = append(rc.buf, p[:n]...)
	return n, err
}

// EncryptForAudit is Encrypt that also returns the randomness r_j of every
// pair, for the cast-or-audit check (Benaloh, "Simple verifiable
// elections", EVT 2006): a booth reveals the randomness of a ballot that
// the voter chooses to audit, and that ballot must then never be cast.
// The randomness comes from replaying, into
// elgamal.EncryptKeepingRandomness, the bytes that Encrypt read from rand
// first; the ciphertext so made is compared with the ballot's, so that
// the randomness returned is certainly the ballot's.
func EncryptForAudit(rand io.Reader, ctx Context, plaintexts []*group.Element, voterID string) (*Ballot, []*group.Scalar, error) {
	if rand == nil {
		rand = crand.Reader
	}
	rec := &recorder{r: rand}
	defer func() { clear(rec.buf) }()
	b, err := Encrypt(rec, ctx, plaintexts, voterID)
	if err != nil {
		return nil, nil, err
	}
	ct, r, err := elgamal.EncryptKeepingRandomness(bytes.NewReader(rec.buf), ctx.PK, plaintexts)
	if err != nil || !ct.Equal(b.Ciphertext()) {
		panic("ballot: internal error: the ballot's randomness cannot be replayed")
	}
	return b, r, nil
}

// OpenAudited checks a ballot whose randomness r (one scalar per pair)
// was revealed by EncryptForAudit: its proofs verify for ctx (Verify), and
// α_j = r_j·B for every pair j. It returns the plaintexts
// M_j = β_j − r_j·Y. A failure of the opening wraps ErrAuditFailed and
// names the pair; a failure of the proofs is Verify's error. It is not
// constant time: everything it handles is public once revealed.
func OpenAudited(ctx Context, b *Ballot, r []*group.Scalar) ([]*group.Element, error) {
	if err := Verify(ctx, b); err != nil {
		return nil, err
	}
	if len(r) != b.Width() {
		return nil, fmt.Errorf("%w: %d scalars revealed for %d pairs", ErrAuditFailed, len(r), b.Width())
	}
	m := make([]*group.Element, len(r))
	for j, rj := range r {
		if rj == nil {
			return nil, fmt.Errorf("%w: pair %d: no randomness", ErrAuditFailed, j)
		}
		alpha := new(group.Element).FixedBaseMult(rj, elgamal.BaseTable())
		if alpha.Equal(b.ct.Alpha[j]) != 1 {
			return nil, fmt.Errorf("%w: pair %d: α ≠ r·B", ErrAuditFailed, j)
		}
		rY := new(group.Element).ScalarMult(rj, ctx.PK.Element())
		m[j] = new(group.Element).Subtract(b.ct.Beta[j], rY)
	}
	return m, nil
}
