package scenario

import "github.com/relaylab/relaylab/internal/config"

// UnmarshalYAML decodes the scenario's keys as the decoder would, and
// keeps the text of a name or description that YAML reads as a number
// ("name: 1.10", not "1.1"; see config.KeepText). The decoder is the
// caller's, so strict mode still reports unknown keys with their lines,
// and the defaults Parse set stay where the file says nothing. A value
// that does not decode ("count: three", "at: 5x") is set aside, read as
// the key left out, for Validate to report with the other problems
// (config.SetAsideBadValues); those of the expect: section are its own.
func (sc *Scenario) UnmarshalYAML(decode func(any) error) error {
	type plain Scenario // without this method, so no recursion
	v := plain(*sc)
	bad := config.SetAsideBadValues(decode, &v)
	if err := decode(&v); err != nil {
		return err
	}
	config.KeepText(decode, &v)
	v.bad = bad
	*sc = Scenario(v)
	return nil
}

// KeepsBadValues marks the scenario as a config.BadValueKeeper.
func (*Scenario) KeepsBadValues() {}

// UnmarshalYAML decodes a message, keeping the text of its strings that
// YAML reads as numbers: "subject: 1.10", a header's "X-Version: 2.0".
func (m *MessageSpec) UnmarshalYAML(decode func(any) error) error {
	type plain MessageSpec
	v := plain(*m)
	if err := decode(&v); err != nil {
		return err
	}
	config.KeepText(decode, &v)
	*m = MessageSpec(v)
	return nil
}
