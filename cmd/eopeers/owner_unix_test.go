//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKeystoreKeepsOwner: root replacing a keystore that the web server's
// user owns leaves it owned by that user, so that the web server can still
// read it.
func TestKeystoreKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file another owner")
	}
	w := newWebServerSetup(t)
	jks := filepath.Join(w.tmp, "keystore.jks")
	existingKeystore(t, jks, "changeit")
	require.NoError(t, os.Chown(jks, 65534, 65533))
	ok(t, eopeers(t, "", "--dir", w.dir, "--install", "--keystore", jks, w.pkg1))
	fi, err := os.Stat(jks)
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	require.Equal(t, uint32(65534), st.Uid)
	require.Equal(t, uint32(65533), st.Gid)
	require.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	require.Equal(t, w.der1, trustedDER(t, loadJKS(t, jks, "changeit"), "prod-a1"))
}
