package pagerduty

// Requests go-pagerduty v1.8.0 builds wrongly are sent here with the body
// PagerDuty documents; go-pagerduty's Do still adds the token and the
// version header, and the transport still retries and counts.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	pd "github.com/PagerDuty/go-pagerduty"
)

// maxResponseBytes bounds what one answer may hold.
const maxResponseBytes = 8 << 20

// sendJSON sends in as JSON to path (relative to the REST base), with
// From: from when from is not empty, and decodes a 2xx answer into out.
// Other answers come back as pd.APIError, like go-pagerduty's own calls,
// so that mapError reads them the same way.
// A nil in sends no body (a GET).
func (c *Client) sendJSON(ctx context.Context, method, path, from string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.apiURL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if from != "" {
		req.Header.Set("From", from)
	}
	resp, err := c.api.Do(req, true)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		apiErr := pd.APIError{StatusCode: resp.StatusCode}
		var e struct {
			Error *pd.APIErrorObject `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error != nil {
			apiErr.APIError = pd.NullAPIErrorObject{Valid: true, ErrorObject: *e.Error}
		}
		return apiErr
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}
