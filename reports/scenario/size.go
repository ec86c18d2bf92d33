package scenario

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/sink"
)

// Size is a message's size: in octets, as a number (2000) or with a unit
// (10KB, 25MiB), read as a sink rule's size: reads the size after its
// comparison (sink.ParseSize), so that the two are written alike.
type Size int64

// UnmarshalYAML reads a Size, and refuses a bad one at its line and key.
func (s *Size) UnmarshalYAML(node ast.Node) error {
	text := config.ScalarText(node)
	if rest, ok := strings.CutPrefix(text, "-"); ok {
		if _, err := sink.ParseSize(rest); err == nil {
			return config.NodeError(node, fmt.Sprintf("%s is negative: want a number of bytes, 0 or more", text))
		}
	}
	n, err := sink.ParseSize(text)
	if err != nil {
		return config.NodeError(node, err.Error())
	}
	*s = Size(n)
	return nil
}
