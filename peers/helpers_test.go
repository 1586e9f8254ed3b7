package peers

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	// quic-go logs when it cannot enlarge the UDP buffers; that is noise
	// here.
	os.Setenv("QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING", "true")
	os.Exit(m.Run())
}

// newIdentity makes an authority in a temporary directory.
func newIdentity(t testing.TB, host string, port int) *Identity {
	t.Helper()
	id, err := InitIdentity(filepath.Join(t.TempDir(), host), InitOptions{
		Hostname: host, IPAddress: "127.0.0.1", Port: port,
	})
	require.NoError(t, err)
	return id
}

// authority is an identity, its store and, once started, its endpoint.
type authority struct {
	id    *Identity
	store *Store
	ep    *Endpoint
	conn  net.PacketConn
}

// newAuthority binds a UDP socket on 127.0.0.1 first, so that the identity
// (and so its package) carries the real port.
func newAuthority(t testing.TB, host string) *authority {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	port := conn.LocalAddr().(*net.UDPAddr).Port
	id := newIdentity(t, host, port)
	store, err := id.OpenStore()
	require.NoError(t, err)
	return &authority{id: id, store: store, conn: conn}
}

func (a *authority) start(t testing.TB, mod ...func(*EndpointConfig)) *Endpoint {
	t.Helper()
	cfg := EndpointConfig{
		Identity:         a.id,
		Store:            a.store,
		PacketConn:       a.conn,
		PollInterval:     20 * time.Millisecond,
		HandshakeTimeout: 2 * time.Second,
	}
	for _, f := range mod {
		f(&cfg)
	}
	ep, err := Listen(cfg)
	require.NoError(t, err)
	a.ep = ep
	t.Cleanup(func() { ep.Close() })
	return ep
}

func (a *authority) pkg(t testing.TB) *Package {
	t.Helper()
	p, err := a.id.Package(false)
	require.NoError(t, err)
	return p
}

// trust installs b's package in a's store.
func (a *authority) trust(t testing.TB, b *authority) {
	t.Helper()
	_, err := a.store.Install(b.pkg(t), false)
	require.NoError(t, err)
}

// startedPair returns two running authorities, a and b, that trust each
// other.
func startedPair(t *testing.T) (a, b *authority) {
	t.Helper()
	a, b = newAuthority(t, "a"), newAuthority(t, "b")
	mutualTrust(t, a, b)
	a.start(t)
	b.start(t)
	return a, b
}

func mutualTrust(t testing.TB, as ...*authority) {
	t.Helper()
	for _, a := range as {
		for _, b := range as {
			if a != b {
				a.trust(t, b)
			}
		}
	}
}

func newBufReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64<<10) }
