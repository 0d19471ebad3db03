package slackbot

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
)

// FuzzDecodePayloads: no interactive or slash-command payload, however
// malformed, panics the decoding syncbot relies on or the flattening of
// clicks into actions.
func FuzzDecodePayloads(f *testing.F) {
	f.Add([]byte(`{"type":"block_actions","user":{"id":"U1","team_id":"T1"},"channel":{"id":"C1"},"container":{"message_ts":"1.2"},"actions":[{"action_id":"approve","block_id":"decision","value":"T-1","type":"button"}]}`))
	f.Add([]byte(`{"type":"block_actions","actions":[{"action_id":"approve","text":{"type":"plain_text","text":"x"}}]}`))
	f.Add([]byte(`{"command":"/sync","text":"pause prod","user_id":"U1","is_enterprise_install":"false"}`))
	f.Add([]byte(`{"actions":[null],"container":{"attachment_id":""}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var cb slack.InteractionCallback
		if json.Unmarshal(payload, &cb) == nil {
			actions := toActions("e-1", cb)
			if len(actions) > len(cb.ActionCallback.BlockActions) {
				t.Fatalf("%d actions from %d block actions", len(actions), len(cb.ActionCallback.BlockActions))
			}
			for _, a := range actions {
				if a.EnvelopeID != "e-1" {
					t.Fatalf("envelope id %q", a.EnvelopeID)
				}
			}
		}
		var sc slack.SlashCommand
		_ = json.Unmarshal(payload, &sc)
	})
}
