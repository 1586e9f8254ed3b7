package threshold

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/eo-mixnet/eo/proofs"
)

// ErrRejected is wrapped by the error a state machine returns for a
// message it dropped without changing its state: undecodable, for another
// election, session or recipient, of a phase it does not run, with a
// sender other than the peer that delivered it, or of a shape that does
// not fit the session's n and t. The daemon may log it and go on, or end
// the session: the protocol treats the sender as silent for that message.
var ErrRejected = errors.New("threshold: message rejected")

// ErrAborted is wrapped by the error of a protocol run that cannot end
// with a result. The error is an *AbortError naming the authorities at
// fault.
var ErrAborted = errors.New("threshold: protocol aborted")

// ErrInvalidProof is proofs.ErrInvalidProof: a decryption share whose
// proof does not verify wraps it.
var ErrInvalidProof = proofs.ErrInvalidProof

// ErrTooFewShares is wrapped by the *TooFewSharesError of a threshold
// decryption with fewer than t valid decryption shares.
var ErrTooFewShares = errors.New("threshold: too few valid decryption shares")

// FaultKind says what an authority did wrong.
type FaultKind uint8

// The faults the protocols detect. Faults marked (fatal) abort a key
// generation; the others are recorded and the protocol goes on.
const (
	// FaultAbsent: no message for a phase before the driver gave up on it
	// (Expire); the authority takes no further part.
	FaultAbsent FaultKind = iota + 1
	// FaultDisqualified: a dealer that left a complaint unanswered or
	// answered it with a share that does not match its commitments (GJKR
	// step 1(d)); it is left out of QUAL.
	FaultDisqualified
	// FaultComplaintRefuted: a complaint that the dealer answered with a
	// valid share (the share was lost, or the complaint false).
	FaultComplaintRefuted
	// FaultBadExtraction: a qualified dealer whose Feldman values were
	// missing or did not match a share (GJKR step 4(b)); its polynomial is
	// reconstructed in the clear.
	FaultBadExtraction
	// FaultFalseComplaint: an extraction complaint whose opened share does
	// not prove it, or a message naming a dealer it may not name; ignored.
	FaultFalseComplaint
	// FaultBadReconstruction: a reconstruction share that does not match
	// the dealer's commitments; ignored.
	FaultBadReconstruction
	// FaultEquivocation (fatal): two authorities received different
	// broadcasts from this authority (Witness reported the other one).
	FaultEquivocation
	// FaultConflict (fatal): this authority sent two different messages
	// for one slot (phase, sender, recipient).
	FaultConflict
	// FaultProtocol (fatal): a message that breaks the protocol in a way
	// everyone can see, such as complaining against an absent dealer.
	FaultProtocol
	// FaultTranscriptMismatch (fatal): the authority confirmed a different
	// transcript hash although its echoes matched.
	FaultTranscriptMismatch
	// FaultUnrecoverable (fatal): a dealer that cannot be reconstructed,
	// or too few authorities left to use the key.
	FaultUnrecoverable
	// FaultInvalidDecryptionShare: a decryption share that does not
	// verify; it is left out of the combination.
	FaultInvalidDecryptionShare
)

var faultNames = map[FaultKind]string{
	FaultAbsent:                 "absent",
	FaultDisqualified:           "disqualified",
	FaultComplaintRefuted:       "complaint refuted",
	FaultBadExtraction:          "bad extraction",
	FaultFalseComplaint:         "false complaint",
	FaultBadReconstruction:      "bad reconstruction share",
	FaultEquivocation:           "equivocation",
	FaultConflict:               "conflicting messages",
	FaultProtocol:               "protocol violation",
	FaultTranscriptMismatch:     "transcript mismatch",
	FaultUnrecoverable:          "unrecoverable",
	FaultInvalidDecryptionShare: "invalid decryption share",
}

// String returns the fault's name.
func (k FaultKind) String() string {
	if s, ok := faultNames[k]; ok {
		return s
	}
	return fmt.Sprintf("fault(%d)", uint8(k))
}

// Fault records one misbehaviour: who (Party, an authority index), what,
// in which phase, and, for equivocation, the witness whose report
// disagreed (without transferable signatures this layer cannot tell which
// of the two lied; see doc/threshold.md). Detail is public text: it never
// holds a secret.
type Fault struct {
	Party   int
	Kind    FaultKind
	Phase   Phase
	Witness int
	Detail  string
}

// String describes the fault in one line.
func (f Fault) String() string {
	s := fmt.Sprintf("authority %d: %s in %s", f.Party, f.Kind, f.Phase)
	if f.Witness != 0 {
		s += fmt.Sprintf(" (reported by %d)", f.Witness)
	}
	if f.Detail != "" {
		s += ": " + f.Detail
	}
	return s
}

// AbortError ends a protocol run; it names every authority at fault.
type AbortError struct {
	Faults []Fault
}

func (e *AbortError) Error() string {
	var b strings.Builder
	b.WriteString("threshold: protocol aborted: ")
	for i, f := range e.Faults {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.String())
	}
	return b.String()
}

// Unwrap returns ErrAborted.
func (e *AbortError) Unwrap() error { return ErrAborted }

// Parties returns the indices the faults name, sorted, without repeats.
func (e *AbortError) Parties() []int { return faultParties(e.Faults) }

func faultParties(fs []Fault) []int {
	var out []int
	for _, f := range fs {
		if f.Party != 0 {
			out = append(out, f.Party)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TooFewSharesError is the error of a threshold decryption that has fewer
// than t valid shares. It names the authorities whose shares were valid
// and those whose shares failed, with the reasons.
type TooFewSharesError struct {
	T      int
	Valid  []int
	Faults []Fault
}

func (e *TooFewSharesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "threshold: %d valid decryption shares %v, %d needed", len(e.Valid), e.Valid, e.T)
	if len(e.Faults) > 0 {
		fmt.Fprintf(&b, "; failed: %v", faultParties(e.Faults))
		for _, f := range e.Faults {
			b.WriteString("; ")
			b.WriteString(f.String())
		}
	}
	return b.String()
}

// Unwrap returns ErrTooFewShares.
func (e *TooFewSharesError) Unwrap() error { return ErrTooFewShares }

// Failed returns the indices of the authorities whose shares failed.
func (e *TooFewSharesError) Failed() []int { return faultParties(e.Faults) }
