package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/handlers/chat"
	"github.com/tobanbot/toban/metrics"
)

// SlackConfig says how to reach Slack.
type SlackConfig struct {
	AppToken string
	BotToken string
	// APIURL is the Web API base; it must end in "/".
	APIURL string
}

// NewSlackClient builds the one slack-go client used for both Socket Mode
// and the Web API. Its HTTP client counts every call by method and result.
func NewSlackClient(cfg SlackConfig, m *metrics.Registry, logger zerolog.Logger) *slack.Client {
	return slack.New(cfg.BotToken,
		slack.OptionAppLevelToken(cfg.AppToken),
		slack.OptionAPIURL(cfg.APIURL),
		slack.OptionHTTPClient(instrumentedHTTPClient(cfg.APIURL, m)),
		slack.OptionLog(log.New(logger.With().Str("component", "slack-go").Logger(), "", 0)),
	)
}

func instrumentedHTTPClient(apiURL string, m *metrics.Registry) *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &countingTransport{base: http.DefaultTransport, apiURL: apiURL, m: m},
	}
}

// countingTransport records each Slack call's method and result. Slack
// reports most failures as HTTP 200 with {"ok":false}, so the body is read.
type countingTransport struct {
	base   http.RoundTripper
	apiURL string
	m      *metrics.Registry
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := "response_url"
	if strings.HasPrefix(req.URL.String(), t.apiURL) {
		method = path.Base(req.URL.Path)
	} else if strings.Contains(req.URL.Path, "/upload/") || strings.Contains(req.URL.Host, "files.slack.com") {
		method = "file_upload"
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		t.m.SlackCalls.WithLabelValues(method, "network_error").Inc()
		return nil, err
	}
	result := "ok"
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		result = "ratelimited"
	case resp.StatusCode != http.StatusOK:
		result = fmt.Sprintf("http_%d", resp.StatusCode)
	case strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if rerr != nil {
			t.m.SlackCalls.WithLabelValues(method, "network_error").Inc()
			return nil, rerr
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		var status struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &status) == nil && !status.OK {
			result = "error"
		}
	}
	t.m.SlackCalls.WithLabelValues(method, result).Inc()
	return resp, nil
}

// WebAPI implements handlers.Slack and the features' Slack ports (incidents.Slack …) over slack-go.
type WebAPI struct {
	api   *slack.Client
	http  *http.Client
	pacer *pacer
}

// NewWebAPI wraps api; httpClient is used for response_url posts.
func NewWebAPI(api *slack.Client, cfg SlackConfig, m *metrics.Registry) *WebAPI {
	return &WebAPI{api: api, http: instrumentedHTTPClient(cfg.APIURL, m), pacer: newPacer()}
}

// SharePacing makes w pace its posts and updates, and honour 429s, with
// every replica that shares store: a channel's budget and a Retry-After
// hold across them. Call it before the first write. Without it, w paces
// this process alone (one replica, SQLite).
func (w *WebAPI) SharePacing(store PaceStore, log zerolog.Logger) {
	w.pacer.shared, w.pacer.log = store, log
}

// Client returns the underlying slack-go client.
func (w *WebAPI) Client() *slack.Client { return w.api }

// Respond posts msg to a response_url.
func (w *WebAPI) Respond(ctx context.Context, responseURL string, msg chat.Message) error {
	hook := &slack.WebhookMessage{
		Text:            msg.Text,
		ThreadTimestamp: msg.ThreadTS,
		ResponseType:    slack.ResponseTypeEphemeral,
		ReplaceOriginal: msg.ReplaceOriginal,
	}
	if msg.InChannel {
		hook.ResponseType = slack.ResponseTypeInChannel
	}
	if len(msg.Blocks) > 0 {
		hook.Blocks = &slack.Blocks{BlockSet: msg.Blocks}
	}
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, w.http, hook); err != nil {
		return fmt.Errorf("respond: %w", err)
	}
	return nil
}

// PublishHome shows view on userID's App Home tab.
func (w *WebAPI) PublishHome(ctx context.Context, userID string, view slack.HomeTabViewRequest) error {
	if _, err := w.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: userID, View: view}); err != nil {
		return fmt.Errorf("publish home for %s: %w", userID, err)
	}
	return nil
}

// PostEphemeral shows msg to user only, in channel.
func (w *WebAPI) PostEphemeral(ctx context.Context, channel, user string, msg chat.Message) error {
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false)}
	if len(msg.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(msg.Blocks...))
	}
	if _, err := w.api.PostEphemeralContext(ctx, channel, user, opts...); err != nil {
		return fmt.Errorf("post ephemeral in %s: %w", channel, err)
	}
	return nil
}

// PostMessage posts msg in channel (a user ID posts a direct message) and
// returns its ts.
func (w *WebAPI) PostMessage(ctx context.Context, channel string, msg chat.Message) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false)}
	if len(msg.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(msg.Blocks...))
	}
	if msg.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(msg.ThreadTS))
	}
	if msg.Metadata != nil {
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType: msg.Metadata.EventType, EventPayload: map[string]any{"key": msg.Metadata.Key}}))
	}
	var ts string
	err := w.pacer.do(ctx, channel, false, func() (err error) {
		_, ts, err = w.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("post in %s: %w", channel, err)
	}
	return ts, nil
}

// UpdateMessage replaces the message at ts in channel with msg.
func (w *WebAPI) UpdateMessage(ctx context.Context, channel, ts string, msg chat.Message) error {
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false), slack.MsgOptionBlocks(msg.Blocks...)}
	err := w.pacer.do(ctx, channel, true, func() error {
		_, _, _, err := w.api.UpdateMessageContext(ctx, channel, ts, opts...)
		return err
	})
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && messageGone[se.Err] {
			return fmt.Errorf("update %s in %s: %w: %w", ts, channel, domain.ErrNotFound, err)
		}
		return fmt.Errorf("update %s in %s: %w", ts, channel, err)
	}
	return nil
}

// DeleteMessage deletes a message toban posted. A message already gone
// is not an error.
func (w *WebAPI) DeleteMessage(ctx context.Context, channel, ts string) error {
	_, _, err := w.api.DeleteMessageContext(ctx, channel, ts)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "message_not_found" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s in %s: %w", ts, channel, err)
	}
	return nil
}

// messageGone lists chat.update errors that no retry can fix.
var messageGone = map[string]bool{
	"message_not_found": true, "channel_not_found": true, "not_in_channel": true,
	"cant_update_message": true, "is_archived": true, "edit_window_closed": true,
}

// OpenView opens a modal and returns its view ID.
func (w *WebAPI) OpenView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (string, error) {
	resp, err := w.api.OpenViewContext(ctx, triggerID, view)
	if err != nil {
		return "", fmt.Errorf("open view %s: %w", view.CallbackID, err)
	}
	return resp.ID, nil
}

// UpdateView replaces an open modal's content.
func (w *WebAPI) UpdateView(ctx context.Context, viewID string, view slack.ModalViewRequest) error {
	if _, err := w.api.UpdateViewContext(ctx, view, "", "", viewID); err != nil {
		return fmt.Errorf("update view %s: %w", viewID, err)
	}
	return nil
}

// UpdateViewIfUnchanged replaces an open modal's content if the modal is
// still as hash says (the hash of the view a block_actions payload
// carried). When the person changed it meanwhile, Slack refuses with
// hash_conflict and the error wraps slack.SlackErrorResponse with that
// code.
func (w *WebAPI) UpdateViewIfUnchanged(ctx context.Context, viewID, hash string, view slack.ModalViewRequest) error {
	if _, err := w.api.UpdateViewContext(ctx, view, "", hash, viewID); err != nil {
		return fmt.Errorf("update view %s: %w", viewID, err)
	}
	return nil
}

// UserEmail returns the email on a Slack user's profile ("" if hidden).
func (w *WebAPI) UserEmail(ctx context.Context, userID string) (string, error) {
	u, err := w.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("users.info %s: %w", userID, err)
	}
	return u.Profile.Email, nil
}

// FindMessage looks through channel's history since the given time for a
// message toban tagged with eventType and key.
func (w *WebAPI) FindMessage(ctx context.Context, channelID string, since time.Time, eventType, key string) (string, bool, error) {
	params := &slack.GetConversationHistoryParameters{
		ChannelID: channelID, Oldest: fmt.Sprintf("%d.000000", since.Unix()), Inclusive: true,
		Limit: 200, IncludeAllMetadata: true,
	}
	for {
		resp, err := w.api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return "", false, fmt.Errorf("history of %s: %w", channelID, err)
		}
		for _, m := range resp.Messages {
			if m.Metadata.EventType == eventType && fmt.Sprint(m.Metadata.EventPayload["key"]) == key {
				return m.Timestamp, true, nil
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			return "", false, nil
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
}
