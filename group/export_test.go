package group

import "filippo.io/edwards25519"

func elementPoints(x []*Element) []*edwards25519.Point {
	out := make([]*edwards25519.Point, len(x))
	for i := range x {
		out[i] = &x[i].p
	}
	return out
}
