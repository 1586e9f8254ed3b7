package threshold

import (
	"fmt"
	"slices"

	"github.com/eo-mixnet/eo/group"
	"github.com/eo-mixnet/eo/internal/drill"
)

// This file holds the key-generation drills (DKGConfig.Drill): what a
// malicious authority of a test does to its own messages before they are
// encoded and recorded. They live here, where the messages' unexported
// fields are in reach, and only this module can ask for them.

// checkDrill checks the drill of authority self of n: a key-generation
// kind and a victim other than self.
func checkDrill(dr *drill.DKG, n, self int) error {
	if dr == nil {
		return nil
	}
	if dr.Kind != drill.BadDealer && dr.Kind != drill.FalseComplaint {
		return fmt.Errorf("threshold: drill %q is not a key-generation drill (%s or %s)", dr.Kind, drill.BadDealer, drill.FalseComplaint)
	}
	if dr.Victim < 1 || dr.Victim > n || dr.Victim == self {
		return fmt.Errorf("threshold: drill victim %d out of range (1 to %d, not %d)", dr.Victim, n, self)
	}
	return nil
}

// drillShare is the wrong share s_iv a bad dealer deals to its victim.
func drillShare() *group.Scalar { return group.ScalarFromUint64(0xbad) }

// tamper lets the drill, then a test's cheat, change m, which this party is
// about to emit to authority to (0 for a broadcast).
func (d *DKG) tamper(to int, m Message) {
	if dr := d.drill; dr != nil {
		switch dr.Kind {
		case drill.BadDealer:
			// Step 1(a) with a wrong s_iv for the victim v, and step 1(c)
			// opening the same wrong share when v complains: every party
			// sees it falsify equation (4) and disqualifies this dealer.
			switch m := m.(type) {
			case *ShareMessage:
				if to == dr.Victim {
					m.share = drillShare()
				}
			case *JustificationsMessage:
				for k := range m.entries {
					if m.entries[k].Party == dr.Victim {
						m.entries[k].Share = drillShare()
					}
				}
			}
		case drill.FalseComplaint:
			// Step 1(b) with a complaint against the victim's deal although
			// its share verified (a victim that dealt nothing cannot be
			// accused: that would abort the run, not test the refutation).
			if m, ok := m.(*ComplaintsMessage); ok && d.st.C[dr.Victim] != nil && !slices.Contains(m.accused, dr.Victim) {
				m.accused = append(m.accused, dr.Victim)
				slices.Sort(m.accused)
			}
		}
	}
	if d.cheat != nil {
		d.cheat(to, m)
	}
}
