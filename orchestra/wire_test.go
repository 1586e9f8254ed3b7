package orchestra

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/peers"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	t.Parallel()
	for typ, k := range fieldCount {
		e := &envelope{Election: "e-1.x_Y", Q: 3, J: 7}
		for i := range k {
			e.Fields = append(e.Fields, bytes.Repeat([]byte{byte(i + 1)}, i*3))
		}
		b := e.bytes()
		got, err := decodeEnvelope(typ, b)
		require.NoError(t, err, msgName(typ))
		require.Equal(t, e.Election, got.Election)
		require.Equal(t, e.Q, got.Q)
		require.Equal(t, e.J, got.J)
		require.Len(t, got.Fields, k)
		for i := range k {
			require.Equal(t, len(e.Fields[i]), len(got.Fields[i]))
		}
		require.Equal(t, b, got.bytes(), "canonical")
		for n := 0; n < len(b); n++ {
			_, err := decodeEnvelope(typ, b[:n])
			require.ErrorIs(t, err, errWire, "%s truncated to %d", msgName(typ), n)
		}
		_, err = decodeEnvelope(typ, append(bytes.Clone(b), 0))
		require.ErrorIs(t, err, errWire, "trailing byte")
	}
	ok := (&envelope{Election: "x", Fields: [][]byte{nil}}).bytes()
	_, err := decodeEnvelope(peers.MessageType(99), ok)
	require.ErrorIs(t, err, errWire, "unknown type")
	_, err = decodeEnvelope(msgTallyMsg, (&envelope{Election: "x", Fields: [][]byte{nil, nil}}).bytes())
	require.ErrorIs(t, err, errWire, "field count")
	_, err = decodeEnvelope(peers.MessageType(4), ok)
	require.ErrorIs(t, err, errWire, "a retired type")
	for _, id := range []string{"", "../x", ".hidden", "a/b", "é", string(bytes.Repeat([]byte{'a'}, 65))} {
		_, err := decodeEnvelope(msgAbort, (&envelope{Election: id, Fields: [][]byte{nil}}).bytes())
		require.ErrorIs(t, err, errWire, "id %q", id)
	}
	// A field declaring more bytes than follow.
	bad := (&envelope{Election: "x", Fields: [][]byte{{1, 2}}}).bytes()
	bad[len(bad)-3] = 9
	_, err = decodeEnvelope(msgAbort, bad)
	require.ErrorIs(t, err, errWire)
}

func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(uint16(msgTallyMsg), (&envelope{Election: "e", Q: 1, J: 2, Fields: [][]byte{{1, 2, 3}}}).bytes())
	f.Add(uint16(msgSetup), (&envelope{Election: "7", Fields: [][]byte{[]byte(`{"election_id":"7"}`)}}).bytes())
	f.Add(uint16(msgAbort), []byte{0, 1, 'x', 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, typ uint16, b []byte) {
		e, err := decodeEnvelope(peers.MessageType(typ), b)
		if err != nil {
			return
		}
		if !bytes.Equal(e.bytes(), b) {
			t.Fatal("accepted a non-canonical envelope")
		}
		if peers.MessageType(typ) == msgSetup {
			var su setup
			if json.Unmarshal(e.Fields[0], &su) == nil {
				(&Server{}).checkSetupShape(&su)
			}
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"listen":":5000","step_timeout":"90s","log_level":"debug"}`))
	f.Add([]byte(`{"bogus":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
	})
}

func FuzzElectionID(f *testing.F) {
	for _, s := range []string{`1`, `"abc"`, `-1`, `1.5`, `"../x"`, `null`, `{}`, `123456789012345678901234567890`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := electionID(b)
		if err == nil && checkID(id) != nil {
			t.Fatalf("accepted id %q", id)
		}
	})
}

func FuzzDKGLog(f *testing.F) {
	f.Add(encodeDKGLog([]dkgEntry{{from: 2, data: []byte("deal")}, {expire: true}, {from: 3, data: nil}}))
	f.Add([]byte{2, 1, 0, 0, 0, 0})
	f.Add([]byte{0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := parseDKGLog(b)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeDKGLog(entries), b) {
			t.Fatal("a log that does not encode back to itself")
		}
	})
}

func FuzzDecodeBroadcasts(f *testing.F) {
	f.Add([]byte{0, 0, 0, 2, 'h', 'i', 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 9, 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := decodeBroadcasts(b)
		if err != nil {
			return
		}
		n := 0
		for _, m := range msgs {
			n += 4 + len(m)
		}
		if n != len(b) {
			t.Fatal("bytes left over or invented")
		}
	})
}
