package slackbot

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/slack-go/slack"
)

// The wrappers below are the Web API surface the handler gets. Errors wrap
// slack-go's (slack.SlackErrorResponse, *slack.RateLimitedError,
// slack.StatusCodeError), so callers can errors.As them. slack-go sends the
// token in the form body, never the URL, so its errors carry none.

// Post sends m to channel (chat.postMessage) and returns the message ts.
func (b *Bot) Post(ctx context.Context, channel string, m Message) (ts string, err error) {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if m.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(m.ThreadTS))
	}
	_, ts, err = b.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", fmt.Errorf("slackbot: chat.postMessage to %s: %w", channel, err)
	}
	return ts, nil
}

// Update replaces the message at channel/ts with m (chat.update). Blocks
// are always sent, so an m without blocks clears the old ones and the
// message shows exactly m.
func (b *Bot) Update(ctx context.Context, channel, ts string, m Message) error {
	_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts,
		slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
	if err != nil {
		return fmt.Errorf("slackbot: chat.update %s/%s: %w", channel, ts, err)
	}
	return nil
}

// Ephemeral shows m to user only, in channel (chat.postEphemeral).
func (b *Bot) Ephemeral(ctx context.Context, channel, user string, m Message) error {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if _, err := b.api.PostEphemeralContext(ctx, channel, user, opts...); err != nil {
		return fmt.Errorf("slackbot: chat.postEphemeral to %s in %s: %w", user, channel, err)
	}
	return nil
}

// Respond posts m to a payload's response_url: the fallback for channels
// the bot cannot post in. Slack allows 5 posts per URL within 30 minutes,
// and the message gets no ts, so it can never be updated with Update.
func (b *Bot) Respond(ctx context.Context, responseURL string, m Message, inChannel bool) error {
	rt := slack.ResponseTypeEphemeral
	if inChannel {
		rt = slack.ResponseTypeInChannel
	}
	_, _, err := b.api.PostMessageContext(ctx, "",
		slack.MsgOptionResponseURL(responseURL, rt),
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionBlocks(m.Blocks...))
	if err != nil {
		return fmt.Errorf("slackbot: post to response_url: %w", redactURL(err))
	}
	return nil
}

// Replace replaces the message a click came from with m, through the
// click's response_url (replace_original): the one way to update a message
// the bot cannot chat.update, such as a card posted through a command's
// response_url in a private channel the bot is not in.
func (b *Bot) Replace(ctx context.Context, responseURL string, m Message) error {
	_, _, err := b.api.PostMessageContext(ctx, "",
		slack.MsgOptionReplaceOriginal(responseURL),
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionBlocks(m.Blocks...))
	if err != nil {
		return fmt.Errorf("slackbot: replace through response_url: %w", redactURL(err))
	}
	return nil
}

// AuthTest returns the bot's own user id and its workspace (auth.test).
func (b *Bot) AuthTest(ctx context.Context) (userID, teamID string, err error) {
	resp, err := b.api.AuthTestContext(ctx)
	if err != nil {
		return "", "", fmt.Errorf("slackbot: auth.test: %w", err)
	}
	return resp.UserID, resp.TeamID, nil
}

// UsergroupMembers lists the user ids in a user group
// (usergroups.users.list).
func (b *Bot) UsergroupMembers(ctx context.Context, id string) ([]string, error) {
	users, err := b.api.GetUserGroupMembersContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("slackbot: usergroups.users.list %s: %w", id, err)
	}
	return users, nil
}

// redactURL cuts a response_url in a transport error down to its origin:
// the URL is a bearer capability (anyone holding it can post as the bot for
// 30 minutes), so it does not belong in logs.
func redactURL(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return &url.Error{Op: ue.Op, URL: "[redacted]", Err: ue.Err}
	}
	return &url.Error{Op: ue.Op, URL: u.Scheme + "://" + u.Host + "/[redacted]", Err: ue.Err}
}
