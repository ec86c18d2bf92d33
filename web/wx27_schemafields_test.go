package web

import (
	"reflect"
	"strings"
	"testing"
)

// TestSpecSchemasListEveryField: each schema of openapi.yaml that has a
// Go type of its name lists every key that type's JSON has, so that a CI
// script written from the spec meets no key the spec leaves out (Stats
// had no expired, the charts' series of expiries). Types that write
// their JSON themselves (a MarshalJSON) are left to their own tests.
func TestSpecSchemasListEveryField(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{
		"Stats": Stats{}, "Timeline": Timeline{}, "RecipientTimeline": RecipientTimeline{}, "ReceivedPage": ReceivedPage{},
		"MessageSummary": MessageSummary{}, "Header": Header{}, "MessageDetail": MessageDetail{}, "MessageCopy": MessageCopy{},
		"AuthVerdict": AuthVerdict{}, "AuthCheck": AuthCheck{}, "Attachment": Attachment{}, "AttachedMessage": AttachedMessage{},
		"EnqueueRequest": EnqueueRequest{}, "QueueList": QueueList{}, "QueueEntry": QueueEntry{}, "QueueRecipient": QueueRecipient{},
		"Suppression": Suppression{}, "Line": Line{}, "SinkSession": SinkSession{}, "BodyLink": BodyLink{}, "InboxPage": InboxPage{},
		"InboxMessage": InboxMessage{}, "SessionAttempt": SessionAttempt{}, "SinkForgotten": SinkForgotten{}, "SinkDeleted": SinkDeleted{},
		"SinkCleared": SinkCleared{}, "SinkMessagesDeleted": SinkMessagesDeleted{}, "SinkKeptMsg": SinkKeptMsg{},
		"ProbeResult": ProbeResult{}, "ProbeChange": ProbeChange{}, "ProbeListing": ProbeListing{}, "ProbeFinding": ProbeFinding{},
	} {
		typ := reflect.TypeOf(v)
		if _, custom := reflect.PointerTo(typ).MethodByName("MarshalJSON"); custom {
			continue
		}
		if _, custom := typ.MethodByName("MarshalJSON"); custom {
			continue
		}
		props, ok := specProperties(t, name)
		if !ok {
			t.Errorf("openapi.yaml has no schema %s", name)
			continue
		}
		for _, key := range jsonKeys(typ) {
			if _, ok := props[key]; !ok {
				t.Errorf("%s: the JSON has %q, which the spec's schema does not list", name, key)
			}
		}
	}
}

// jsonKeys are the keys encoding/json writes for struct type typ: each
// exported field's name or tag, those of embedded structs in place,
// without the fields tagged "-".
func jsonKeys(typ reflect.Type) []string {
	var keys []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && tag == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				keys = append(keys, jsonKeys(ft)...)
				continue
			}
		}
		if tag == "" {
			tag = f.Name
		}
		keys = append(keys, tag)
	}
	return keys
}
