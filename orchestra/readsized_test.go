package orchestra

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// The vote file is read in one allocation when its length is announced,
// and whatever the announcement says, no more than max+1 bytes are read
// (the caller's size check then refuses the file).
func TestReadAllSized(t *testing.T) {
	data := bytes.Repeat([]byte("ballot\n"), 1000)
	read := func(announced, max int64) ([]byte, error) {
		return readAllSized(bytes.NewReader(data), announced, max)
	}
	b, err := read(int64(len(data)), 1<<20)
	require.NoError(t, err)
	require.Equal(t, data, b)
	require.Equal(t, len(data), cap(b), "one allocation, no slack")

	b, err = read(-1, 1<<20) // not announced
	require.NoError(t, err)
	require.Equal(t, data, b)

	b, err = read(10, 1<<20) // more than announced
	require.NoError(t, err)
	require.Equal(t, data, b)

	_, err = read(int64(len(data))+1, 1<<20) // less than announced
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)

	for _, announced := range []int64{-1, 10, 100, 1 << 30} {
		b, err = read(announced, 100)
		require.NoError(t, err)
		require.Len(t, b, 101, "announced %d: max+1 bytes at most", announced)
	}
}
