module github.com/eo-mixnet/eo/bench/neff

go 1.26.0

require github.com/eo-mixnet/eo v0.0.0

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	go.dedis.ch/fixbuf v1.0.3 // indirect
	go.dedis.ch/kyber/v3 v3.1.0
	golang.org/x/crypto v0.54.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

replace github.com/eo-mixnet/eo => ../..
