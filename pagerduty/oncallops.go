package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/tobanbot/toban/domain"
)

// ErrMaintenanceEnded is what changing a maintenance window that has
// already ended fails with: PagerDuty answers 400 with code 5003. It is
// domain.ErrMaintenanceEnded.
var ErrMaintenanceEnded = domain.ErrMaintenanceEnded

// codeMaintenancePast is PagerDuty's error code for a window in the past.
const codeMaintenancePast = 5003

// mapMaintenanceError is rl.mapError that knows code 5003.
func mapMaintenanceError(rl *rateLimitSeen, err error) error {
	var apiErr pd.APIError
	if errors.As(err, &apiErr) && apiErr.APIError.Valid && apiErr.APIError.ErrorObject.Code == codeMaintenancePast {
		return fmt.Errorf("%w: %w", ErrMaintenanceEnded, err)
	}
	return rl.mapError(err)
}

// CreateOverride puts user on call in the schedule during [start, end).
// Times are sent with their zone, so PagerDuty reads them as meant.
func (c *Client) CreateOverride(ctx context.Context, scheduleID string, user domain.Person, start, end time.Time) (domain.Override, error) {
	if err := checkID("schedule", scheduleID); err != nil {
		return domain.Override{}, fmt.Errorf("override on %s: %w", scheduleID, err)
	}
	if err := checkID("user", user.ID); err != nil {
		return domain.Override{}, fmt.Errorf("override on %s: %w", scheduleID, err)
	}
	ctx, rl := trackRateLimit(ctx)
	o, err := c.api.CreateOverrideWithContext(ctx, scheduleID, pd.Override{
		Start: start.Format(time.RFC3339),
		End:   end.Format(time.RFC3339),
		User:  pd.APIObject{ID: user.ID, Type: "user_reference"},
	})
	if err != nil {
		return domain.Override{}, fmt.Errorf("override on %s for %s: %w", scheduleID, user.ID, rl.mapError(err))
	}
	return toOverride(scheduleID, *o), nil
}

// Overrides lists the schedule's overrides overlapping [since, until),
// with their full start and end (not cut to the range).
func (c *Client) Overrides(ctx context.Context, scheduleID string, since, until time.Time) ([]domain.Override, error) {
	if err := checkID("schedule", scheduleID); err != nil {
		return nil, fmt.Errorf("overrides of %s: %w", scheduleID, err)
	}
	ctx, rl := trackRateLimit(ctx)
	resp, err := c.api.ListOverridesWithContext(ctx, scheduleID, pd.ListOverridesOptions{
		Since: since.UTC().Format(time.RFC3339), Until: until.UTC().Format(time.RFC3339), Overflow: true,
	})
	if err != nil {
		return nil, fmt.Errorf("overrides of %s: %w", scheduleID, rl.mapError(err))
	}
	out := make([]domain.Override, 0, len(resp.Overrides))
	for _, o := range resp.Overrides {
		out = append(out, toOverride(scheduleID, o))
	}
	return out, nil
}

// DeleteOverride removes an override (one in progress is cut to now by
// PagerDuty).
func (c *Client) DeleteOverride(ctx context.Context, scheduleID, overrideID string) error {
	if err := checkID("schedule", scheduleID); err != nil {
		return fmt.Errorf("delete override: %w", err)
	}
	if err := checkID("override", overrideID); err != nil {
		return fmt.Errorf("delete override: %w", err)
	}
	ctx, rl := trackRateLimit(ctx)
	if err := c.api.DeleteOverrideWithContext(ctx, scheduleID, overrideID); err != nil {
		return fmt.Errorf("delete override %s on %s: %w", overrideID, scheduleID, rl.mapError(err))
	}
	return nil
}

func toOverride(scheduleID string, o pd.Override) domain.Override {
	return domain.Override{
		ID: o.ID, ScheduleID: scheduleID,
		User:  domain.Person{ID: o.User.ID, Name: firstNonEmpty(o.User.Summary, o.User.ID)},
		Start: parseTime(o.Start), End: parseTime(o.End),
	}
}

// ScheduleShifts reads a schedule and its final rota (overrides applied)
// over [since, until): who is on call when, adjacent stretches of the same
// person merged. PagerDuty cuts the first and last stretch to the range.
func (c *Client) ScheduleShifts(ctx context.Context, scheduleID string, since, until time.Time) (domain.Schedule, []domain.Shift, error) {
	if err := checkID("schedule", scheduleID); err != nil {
		return domain.Schedule{}, nil, fmt.Errorf("shifts of %s: %w", scheduleID, err)
	}
	ctx, rl := trackRateLimit(ctx)
	s, err := c.api.GetScheduleWithContext(ctx, scheduleID, pd.GetScheduleOptions{
		Since: since.UTC().Format(time.RFC3339), Until: until.UTC().Format(time.RFC3339), TimeZone: "UTC",
	})
	if err != nil {
		return domain.Schedule{}, nil, fmt.Errorf("shifts of %s: %w", scheduleID, rl.mapError(err))
	}
	var shifts []domain.Shift
	for _, e := range s.FinalSchedule.RenderedScheduleEntries {
		sh := domain.Shift{
			User:  domain.Person{ID: e.User.ID, Name: firstNonEmpty(e.User.Summary, e.User.ID)},
			Start: parseTime(e.Start), End: parseTime(e.End),
		}
		if sh.User.ID == "" || !sh.End.After(sh.Start) {
			continue // a stretch nobody covers, or unreadable
		}
		if n := len(shifts); n > 0 && shifts[n-1].User.ID == sh.User.ID && shifts[n-1].End.Equal(sh.Start) {
			shifts[n-1].End = sh.End
			continue
		}
		shifts = append(shifts, sh)
	}
	return domain.Schedule{ID: s.ID, Name: firstNonEmpty(s.Name, s.Summary)}, shifts, nil
}

// CreateMaintenanceWindow silences services as the person (PagerDuty's
// From header), returning the window as PagerDuty recorded it.
func (c *Client) CreateMaintenanceWindow(ctx context.Context, in domain.NewMaintenanceWindow, as domain.Person) (domain.MaintenanceWindow, error) {
	if err := checkRequester(as); err != nil {
		return domain.MaintenanceWindow{}, fmt.Errorf("create maintenance window: %w", err)
	}
	if len(in.ServiceIDs) == 0 {
		return domain.MaintenanceWindow{}, fmt.Errorf("create maintenance window: %w", domain.Invalid("Choose at least one service."))
	}
	refs := make([]pd.APIObject, 0, len(in.ServiceIDs))
	for _, id := range in.ServiceIDs {
		if err := checkID("service", id); err != nil {
			return domain.MaintenanceWindow{}, fmt.Errorf("create maintenance window: %w", err)
		}
		// go-pagerduty leaves the type empty, and PagerDuty requires it.
		refs = append(refs, pd.APIObject{ID: id, Type: "service_reference"})
	}
	ctx, rl := trackRateLimit(ctx)
	mw, err := c.api.CreateMaintenanceWindowWithContext(ctx, as.Email, pd.MaintenanceWindow{
		StartTime: in.Start.Format(time.RFC3339), EndTime: in.End.Format(time.RFC3339),
		Description: in.Description, Services: refs,
	})
	if err != nil {
		return domain.MaintenanceWindow{}, fmt.Errorf("create maintenance window: %w", mapMaintenanceError(rl, err))
	}
	return toMaintenanceWindow(*mw), nil
}

// MaintenanceWindow reads one maintenance window.
func (c *Client) MaintenanceWindow(ctx context.Context, id string) (domain.MaintenanceWindow, error) {
	if err := checkID("maintenance window", id); err != nil {
		return domain.MaintenanceWindow{}, fmt.Errorf("maintenance window: %w", err)
	}
	ctx, rl := trackRateLimit(ctx)
	mw, err := c.api.GetMaintenanceWindowWithContext(ctx, id, pd.GetMaintenanceWindowOptions{})
	if err != nil {
		return domain.MaintenanceWindow{}, fmt.Errorf("maintenance window %s: %w", id, rl.mapError(err))
	}
	return toMaintenanceWindow(*mw), nil
}

// MaintenanceWindows lists the ongoing and future maintenance windows,
// ongoing first, each by start time.
func (c *Client) MaintenanceWindows(ctx context.Context) ([]domain.MaintenanceWindow, error) {
	ctx, rl := trackRateLimit(ctx)
	var out []domain.MaintenanceWindow
	seen := map[string]bool{}
	for _, filter := range []string{"ongoing", "future"} {
		opts := pd.ListMaintenanceWindowsOptions{Limit: 100, Filter: filter}
		for {
			resp, err := c.api.ListMaintenanceWindowsWithContext(ctx, opts)
			if err != nil {
				return nil, fmt.Errorf("list %s maintenance windows: %w", filter, rl.mapError(err))
			}
			for _, mw := range resp.MaintenanceWindows {
				if !seen[mw.ID] {
					seen[mw.ID] = true
					out = append(out, toMaintenanceWindow(mw))
				}
			}
			if !resp.More || len(resp.MaintenanceWindows) == 0 {
				break
			}
			opts.Offset += uint(len(resp.MaintenanceWindows))
		}
	}
	return out, nil
}

// ExtendMaintenanceWindow moves the window's end to end. A window that
// has ended fails with ErrMaintenanceEnded.
func (c *Client) ExtendMaintenanceWindow(ctx context.Context, id string, end time.Time) (domain.MaintenanceWindow, error) {
	if err := checkID("maintenance window", id); err != nil {
		return domain.MaintenanceWindow{}, fmt.Errorf("extend maintenance window: %w", err)
	}
	ctx, rl := trackRateLimit(ctx)
	cur, err := c.api.GetMaintenanceWindowWithContext(ctx, id, pd.GetMaintenanceWindowOptions{})
	if err != nil {
		return domain.MaintenanceWindow{}, fmt.Errorf("extend maintenance window %s: %w", id, rl.mapError(err))
	}
	// The update carries the whole window (go-pagerduty sends every field),
	// so services keep their references, typed as PagerDuty requires.
	upd := pd.MaintenanceWindow{
		APIObject: pd.APIObject{ID: cur.ID, Type: "maintenance_window"},
		StartTime: cur.StartTime, EndTime: end.Format(time.RFC3339), Description: cur.Description,
	}
	for _, s := range cur.Services {
		upd.Services = append(upd.Services, pd.APIObject{ID: s.ID, Type: "service_reference"})
	}
	mw, err := c.putMaintenanceWindow(ctx, upd)
	if err != nil {
		return domain.MaintenanceWindow{}, fmt.Errorf("extend maintenance window %s: %w", id, mapMaintenanceError(rl, err))
	}
	return toMaintenanceWindow(mw), nil
}

// putMaintenanceWindow sends PUT /maintenance_windows/{id} with the body
// PagerDuty documents, {"maintenance_window": {…}}. go-pagerduty's
// UpdateMaintenanceWindow sends the window bare; its Do still adds the
// token and headers, and the transport still retries and counts.
func (c *Client) putMaintenanceWindow(ctx context.Context, mw pd.MaintenanceWindow) (pd.MaintenanceWindow, error) {
	body, err := json.Marshal(map[string]pd.MaintenanceWindow{"maintenance_window": mw})
	if err != nil {
		return pd.MaintenanceWindow{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.apiURL+"/maintenance_windows/"+mw.ID, bytes.NewReader(body))
	if err != nil {
		return pd.MaintenanceWindow{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.api.Do(req, true)
	if err != nil {
		return pd.MaintenanceWindow{}, err
	}
	defer resp.Body.Close()
	var out struct {
		MaintenanceWindow pd.MaintenanceWindow `json:"maintenance_window"`
		Error             *pd.APIErrorObject   `json:"error"`
	}
	decodeErr := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out)
	if resp.StatusCode >= 300 {
		apiErr := pd.APIError{StatusCode: resp.StatusCode}
		if decodeErr == nil && out.Error != nil {
			apiErr.APIError = pd.NullAPIErrorObject{Valid: true, ErrorObject: *out.Error}
		}
		return pd.MaintenanceWindow{}, apiErr
	}
	if decodeErr != nil {
		return pd.MaintenanceWindow{}, fmt.Errorf("decode maintenance window: %w", decodeErr)
	}
	return out.MaintenanceWindow, nil
}

// EndMaintenanceWindow ends an ongoing window now, or deletes a future
// one. A window that has ended fails with ErrMaintenanceEnded.
func (c *Client) EndMaintenanceWindow(ctx context.Context, id string) error {
	if err := checkID("maintenance window", id); err != nil {
		return fmt.Errorf("end maintenance window: %w", err)
	}
	ctx, rl := trackRateLimit(ctx)
	if err := c.api.DeleteMaintenanceWindowWithContext(ctx, id); err != nil {
		return fmt.Errorf("end maintenance window %s: %w", id, mapMaintenanceError(rl, err))
	}
	return nil
}

func toMaintenanceWindow(mw pd.MaintenanceWindow) domain.MaintenanceWindow {
	out := domain.MaintenanceWindow{
		ID: mw.ID, Description: mw.Description, URL: mw.HTMLURL,
		Start: parseTime(mw.StartTime), End: parseTime(mw.EndTime),
	}
	for _, s := range mw.Services {
		out.Services = append(out.Services, domain.Service{ID: s.ID, Name: firstNonEmpty(s.Summary, s.ID)})
	}
	if mw.CreatedBy != nil {
		out.CreatedBy = strings.TrimSpace(mw.CreatedBy.Summary)
	}
	return out
}
