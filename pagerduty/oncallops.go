package pagerduty

import (
	"context"
	"errors"
	"fmt"
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

// CreateOverride puts user on call in the schedule during [start, end):
// CreateOverrides with one item, its refusal an error.
func (c *Client) CreateOverride(ctx context.Context, scheduleID string, user domain.Person, start, end time.Time) (domain.Override, error) {
	res, err := c.CreateOverrides(ctx, scheduleID, []domain.NewOverride{{User: user, Start: start, End: end}})
	if err != nil {
		return domain.Override{}, err
	}
	if !res[0].Created {
		return domain.Override{}, fmt.Errorf("override on %s for %s: %w", scheduleID, user.ID,
			domain.Invalid("PagerDuty refused the override: %s", res[0].Refused))
	}
	return res[0].Override, nil
}

// overrideIn is one item of POST /schedules/{id}/overrides.
type overrideIn struct {
	Start string       `json:"start"`
	End   string       `json:"end"`
	User  pd.APIObject `json:"user"`
}

// overrideOut is one item of its answer: status 201 with the override
// created, or 400 with errors saying why that one was refused.
type overrideOut struct {
	Status   int         `json:"status"`
	Errors   []string    `json:"errors"`
	Override pd.Override `json:"override"`
}

// CreateOverrides creates many overrides on one schedule in one request,
// PagerDuty's documented {"overrides": [...]} (go-pagerduty only sends the
// deprecated single form). PagerDuty answers per item, so some may be
// created and others refused: the results say which, in the order given.
// err is for the request as a whole (nothing was created).
// Times are sent with their zone, so PagerDuty reads them as meant.
func (c *Client) CreateOverrides(ctx context.Context, scheduleID string, items []domain.NewOverride) ([]domain.OverrideResult, error) {
	if err := checkID("schedule", scheduleID); err != nil {
		return nil, fmt.Errorf("overrides on %s: %w", scheduleID, err)
	}
	if len(items) == 0 {
		return nil, nil
	}
	in := make([]overrideIn, 0, len(items))
	for _, it := range items {
		if err := checkID("user", it.User.ID); err != nil {
			return nil, fmt.Errorf("overrides on %s: %w", scheduleID, err)
		}
		in = append(in, overrideIn{Start: it.Start.Format(time.RFC3339), End: it.End.Format(time.RFC3339),
			User: pd.APIObject{ID: it.User.ID, Type: "user_reference"}})
	}
	ctx, rl := trackRateLimit(ctx)
	var out []overrideOut
	if err := c.sendJSON(ctx, http.MethodPost, "/schedules/"+scheduleID+"/overrides", "", map[string][]overrideIn{"overrides": in}, &out); err != nil {
		return nil, fmt.Errorf("overrides on %s: %w", scheduleID, rl.mapError(err))
	}
	if len(out) != len(items) {
		// Which item is which cannot be known: say so rather than guess.
		return nil, fmt.Errorf("overrides on %s: PagerDuty answered %d results for %d overrides", scheduleID, len(out), len(items))
	}
	res := make([]domain.OverrideResult, len(items))
	for i, o := range out {
		switch {
		case o.Status == http.StatusCreated && o.Override.ID != "":
			ov := toOverride(scheduleID, o.Override)
			if ov.User.ID == "" {
				ov.User = items[i].User
			}
			res[i] = domain.OverrideResult{Override: ov, Created: true}
		default:
			why := strings.Join(o.Errors, "; ")
			if why == "" {
				why = fmt.Sprintf("status %d", o.Status)
			}
			res[i] = domain.OverrideResult{Override: domain.Override{ScheduleID: scheduleID, User: items[i].User,
				Start: items[i].Start, End: items[i].End}, Refused: why}
		}
	}
	return res, nil
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
// UpdateMaintenanceWindow sends the window bare.
func (c *Client) putMaintenanceWindow(ctx context.Context, mw pd.MaintenanceWindow) (pd.MaintenanceWindow, error) {
	var out struct {
		MaintenanceWindow pd.MaintenanceWindow `json:"maintenance_window"`
	}
	err := c.sendJSON(ctx, http.MethodPut, "/maintenance_windows/"+mw.ID, "", map[string]pd.MaintenanceWindow{"maintenance_window": mw}, &out)
	return out.MaintenanceWindow, err
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
