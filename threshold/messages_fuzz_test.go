package threshold

import (
	"bytes"
	"errors"
	"testing"

	"github.com/eo-mixnet/eo/elgamal"
	"github.com/eo-mixnet/eo/group"
	"github.com/stretchr/testify/require"
)

// The fuzz targets check that no input panics, that every error wraps the
// documented sentinel, and that whatever decodes encodes back to the very
// same bytes. Their seed corpora live in testdata/fuzz/<Name>/ and are
// written by TestWriteFuzzSeeds.

func FuzzDecodeMessage(f *testing.F) {
	for _, data := range getCorpus(f).all {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data)
		if err != nil {
			require.Nil(t, m)
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.Equal(t, data, m.Bytes())
		h := m.MessageHeader()
		require.GreaterOrEqual(t, h.Sender, 1)
		require.LessOrEqual(t, h.Sender, MaxAuthorities)
		require.Equal(t, h.Phase, phaseOf(data))
		if s, ok := m.(*ShareMessage); ok {
			require.NotContains(t, s.String(), group.ScalarText(s.share))
		}
	})
}

// FuzzDKGHandle feeds authority 1 of the corpus's key generation the
// first depth messages it received in the real run, then data from from:
// whatever the phase, the machine must not panic, and must either accept
// the message, reject it (ErrRejected) or abort (ErrAborted).
func FuzzDKGHandle(f *testing.F) {
	c := getCorpus(f)
	for k, p := range c.toOne {
		f.Add(p.data, p.from, k)
	}
	f.Fuzz(func(t *testing.T, data []byte, from, depth int) {
		d, err := NewDKG(DKGConfig{ElectionID: testElection, SessionID: testSession, N: 3, T: 2, Self: 1, Rand: testRand(4242*1000 + 1)})
		require.NoError(t, err)
		_, err = d.Start()
		require.NoError(t, err)
		if depth < 0 {
			depth = -(depth + 1)
		}
		for _, p := range c.toOne[:depth%(len(c.toOne)+1)] {
			_, err := d.Handle(p.from, p.data)
			require.NoError(t, err)
		}
		_, err = d.Handle(from, data)
		if err != nil {
			require.True(t, errors.Is(err, ErrRejected) || errors.Is(err, ErrAborted), "%v", err)
		}
		_, _ = d.Expire()
		_, _ = d.Result()
		_ = d.Waiting()
	})
}

func FuzzVerifyDecryptionShare(f *testing.F) {
	c := getCorpus(f)
	f.Add(c.dshare)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := NewDecryptionSession(c.pub, c.list)
		require.NoError(t, err)
		herr := s.Handle(2, data)
		m, err := DecodeMessage(data)
		if err != nil {
			require.ErrorIs(t, herr, ErrRejected)
			return
		}
		dm, ok := m.(*DecryptionShareMessage)
		if !ok {
			require.ErrorIs(t, herr, ErrRejected)
			return
		}
		v, err := VerifyDecryptionShare(c.pub, c.list, dm)
		if err != nil {
			require.Nil(t, v)
			require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrInvalidProof), "%v", err)
			require.Error(t, herr)
			return
		}
		// Only authority 2's own factors verify as authority 2's.
		require.Equal(t, 2, v.Index())
		ref, err := DecodeMessage(c.dshare)
		require.NoError(t, err)
		require.True(t, sameFactors(ref.(*DecryptionShareMessage).Factors, dm.Factors))
		require.NoError(t, herr)
	})
}

func FuzzDecodeDKGTranscript(f *testing.F) {
	f.Add(getCorpus(f).tr)
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := DecodeDKGTranscript(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.Equal(t, data, tr.Bytes())
		pub, _, err := VerifyDKGTranscript(tr)
		if err == nil {
			require.Equal(t, tr.Hash(), pub.TranscriptHash)
		}
	})
}

func FuzzDecodeKeyShare(f *testing.F) {
	f.Add(getCorpus(f).keyShare)
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := DecodeKeyShare(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			if len(data) == KeyShareSize {
				require.NotContains(t, err.Error(), string(data[1:]))
			}
			return
		}
		require.Equal(t, data, k.Bytes())
		require.Equal(t, redacted, k.String())
	})
}

// FuzzDecodeCiphertextList decodes a list as a decrypting authority
// receives it (elgamal.DecodeListN; elgamal's target of the same name
// covers the decoder) and checks what threshold prepares from it: the α
// encodings sliced from the list's bytes are the α's canonical encodings.
func FuzzDecodeCiphertextList(f *testing.F) {
	c := getCorpus(f)
	f.Add(c.list.Bytes(), 2, 2)
	f.Fuzz(func(t *testing.T, data []byte, width, n int) {
		l, err := elgamal.DecodeListN(data, width, n)
		if err != nil {
			require.ErrorIs(t, err, group.ErrEncoding)
			return
		}
		require.Equal(t, data, l.Bytes())
		p, err := prepare(l)
		require.NoError(t, err)
		require.Equal(t, n*width, p.alphas.N)
		alphas := make([]*group.Element, n*width)
		for i := range alphas {
			alphas[i] = p.alpha(i, new(group.Element))
		}
		require.Equal(t, group.EncodeElements(alphas), alphaEncodings(p))
	})
}

// sameFactors reports whether a and b hold the same elements.
func sameFactors(a, b []*group.Element) bool {
	if len(a) != len(b) {
		return false
	}
	for j := range a {
		if a[j].Equal(b[j]) != 1 {
			return false
		}
	}
	return true
}

// A session's decoding (factors in affine form, aliasing its copy) accepts
// and refuses exactly what DecodeMessage does, with the same error, and
// decodes the same factors, encodings and message.
func FuzzDecodeSessionShare(f *testing.F) {
	c := getCorpus(f)
	f.Add(c.dshare)
	f.Add(c.dshare[:len(c.dshare)-1])
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data)
		sm, serr := decodeSessionShare(bytes.Clone(data))
		if err != nil {
			require.Error(t, serr)
			require.Equal(t, err.Error(), serr.Error())
			return
		}
		require.NoError(t, serr)
		dm, ok := m.(*DecryptionShareMessage)
		if !ok {
			require.Equal(t, m.Bytes(), sm.Bytes())
			return
		}
		ds := sm.(*DecryptionShareMessage)
		require.Nil(t, ds.Factors)
		require.Len(t, ds.affine, len(dm.Factors))
		for i := range ds.affine {
			require.Equal(t, 1, dm.Factors[i].Equal(ds.affine[i].Element(new(group.Element))))
		}
		require.Equal(t, dm.FactorBytes(), ds.FactorBytes())
		require.Equal(t, dm.Count(), ds.Count())
		require.Equal(t, data, ds.Bytes())
	})
}
