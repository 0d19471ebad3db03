package commands

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode"

	"github.com/syncbot/syncbot/internal/adminapi"
	"github.com/syncbot/syncbot/internal/store"
)

// userMessage says in words what went wrong, for the channel or the asker.
// It is the one place errors become text; details stay in the log.
func userMessage(err error, apps map[string]adminapi.App, alias string) string {
	var apiErr *adminapi.APIError
	var netErr net.Error
	switch {
	case errors.Is(err, adminapi.ErrDraftOpen):
		return "The Atlas API key's user has an open draft in App Services, so a change now would land in that draft and not deploy. Deploy or discard the draft in the Atlas UI, then try again."
	case errors.Is(err, adminapi.ErrOutcomeUnknown):
		return "Atlas did not confirm the change, and syncbot could not tell whether it was applied. Check `/sync status` before trying again."
	case errors.Is(err, adminapi.ErrNotFound):
		return fmt.Sprintf("Atlas says the app or its linked cluster was not found (404): *%s* may have been deleted, or Device Sync is no longer available for it.", alias)
	case errors.Is(err, adminapi.ErrSyncNotConfigured):
		return "Device Sync is not configured (or no longer available) for this app."
	case errors.Is(err, adminapi.ErrForbidden):
		return "Atlas refused the change (403 Forbidden): syncbot's API key needs the *Project Owner* role on this project."
	case errors.Is(err, adminapi.ErrUnauthorized):
		return "Atlas rejected syncbot's API key (401). Whoever runs syncbot should check `ATLAS_PUBLIC_API_KEY` and `ATLAS_PRIVATE_API_KEY`."
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "The Atlas Admin API did not answer in time. The change may still be applied by Atlas: check `/sync status` before trying again."
	case errors.Is(err, context.Canceled):
		return "syncbot was shutting down before Atlas answered. Check `/sync status` before trying again."
	case errors.As(err, &apiErr):
		msg := apiErr.Message
		if msg == "" {
			msg = "no message"
		}
		return sentence(fmt.Sprintf("The Atlas Admin API answered %d: %s", apiErr.Status, escape(clip(strings.TrimSpace(msg), 300))))
	case errors.As(err, &netErr):
		return "syncbot could not reach the Atlas Admin API (network error). Try again in a moment."
	}
	return "Something went wrong talking to Atlas; the details are in syncbot's log."
}

// sentence ends s with a full stop unless it already ends a sentence, so
// the next one ("Nothing was changed.") does not run into it.
func sentence(s string) string {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

func busyMessage(op store.Op, now time.Time) Message {
	what := fmt.Sprintf("%s (%s)", op.Kind, RequestName(op.ID))
	return text(fmt.Sprintf("*%s* is busy: %s asked for %s %s ago and it is still running. Nothing was done; try again when it finishes (`/sync status %s`).",
		op.App, mention(op.Requester), what, ago(now.Sub(op.CreatedAt)), op.App))
}
