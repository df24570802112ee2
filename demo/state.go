package demo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
)

// message is a Slack message as the page renders it.
type message struct {
	Channel   string          `json:"channel"`
	TS        string          `json:"ts"`
	ThreadTS  string          `json:"thread_ts,omitempty"`
	User      string          `json:"user"`
	Text      string          `json:"text"`
	Blocks    json.RawMessage `json:"blocks,omitempty"`
	Files     []fileInfo      `json:"files,omitempty"`
	Edited    bool            `json:"edited,omitempty"`
	Ephemeral bool            `json:"ephemeral,omitempty"`
}

type fileInfo struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

type memberInfo struct {
	ID     string `json:"id"`
	Handle string `json:"handle"`
	Name   string `json:"name"`
	Role   string `json:"role"`
}

// state is everything the page shows to one person.
type state struct {
	Now        time.Time            `json:"now"`
	Started    time.Time            `json:"started"`
	Me         string               `json:"me"`
	Bot        string               `json:"bot"`
	Team       []memberInfo         `json:"team"`
	Channels   []map[string]string  `json:"channels"`
	Messages   map[string][]message `json:"messages"`
	Ephemerals []message            `json:"ephemerals"`
	Modals     []json.RawMessage    `json:"modals"`
	Home       json.RawMessage      `json:"home"`
	PagerDuty  pagerDutySide        `json:"pagerduty"`
}

type pagerDutySide struct {
	Services    []map[string]string `json:"services"`
	Incidents   []incidentInfo      `json:"incidents"`
	Overrides   []overrideInfo      `json:"overrides"`
	Maintenance []maintenanceInfo   `json:"maintenance"`
}

type incidentInfo struct {
	ID        string    `json:"id"`
	Number    int       `json:"number"`
	Title     string    `json:"title"`
	Service   string    `json:"service"`
	Status    string    `json:"status"`
	Urgency   string    `json:"urgency"`
	Assignees []string  `json:"assignees"`
	AckedBy   []string  `json:"acknowledged_by"`
	Created   time.Time `json:"created"`
}

type overrideInfo struct {
	Schedule string    `json:"schedule"`
	User     string    `json:"user"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

type maintenanceInfo struct {
	Description string    `json:"description"`
	Services    []string  `json:"services"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	By          string    `json:"by"`
}

func (d *Demo) serveState(w http.ResponseWriter, r *http.Request) {
	me := r.URL.Query().Get("as")
	if !knownUser(w, me) {
		return
	}
	writeJSON(w, http.StatusOK, d.stateFor(me))
}

func (d *Demo) stateFor(me string) state {
	files := map[string]fileInfo{}
	for _, f := range d.Slack.Files() {
		files[f.ID] = fileInfo{ID: f.ID, Name: f.Name, Title: f.Title, URL: fmt.Sprintf("/files/%s/%s", f.ID, f.Name)}
	}
	conv := func(m slackfake.Message) message {
		out := message{Channel: m.Channel, TS: m.TS, ThreadTS: m.ThreadTS, User: m.User, Text: m.Text,
			Blocks: m.Blocks, Edited: m.Updated > 0, Ephemeral: m.Ephemeral}
		for _, id := range m.Files {
			out.Files = append(out.Files, files[id])
		}
		return out
	}
	st := state{
		Now: d.Clock.Now(), Started: d.start, Me: me, Bot: d.Slack.BotUserID(),
		Channels: []map[string]string{{"id": ChannelAlerts, "name": "alerts"}, {"id": ChannelOps, "name": "ops"}},
		Messages: map[string][]message{}, Modals: d.client.modals(me), Home: d.client.home(me),
		PagerDuty: d.pagerDutySide(),
	}
	for _, p := range Team {
		st.Team = append(st.Team, memberInfo{ID: p.SlackID, Handle: p.Handle, Name: p.Name, Role: p.Role})
	}
	for _, ch := range st.Channels {
		list := []message{}
		for _, m := range d.Slack.Messages(ch["id"]) {
			list = append(list, conv(m))
		}
		st.Messages[ch["id"]] = list
	}
	st.Ephemerals = []message{}
	for _, m := range d.Slack.Ephemerals(me) {
		st.Ephemerals = append(st.Ephemerals, conv(m))
	}
	return st
}

func (d *Demo) pagerDutySide() pagerDutySide {
	names := map[string]string{}
	for _, p := range Team {
		names[p.PDID] = p.Name
	}
	services := map[string]string{}
	var side pagerDutySide
	for _, sv := range Services {
		services[sv.ID] = sv.Name
		side.Services = append(side.Services, map[string]string{"id": sv.ID, "name": sv.Name})
	}
	nameAll := func(ids []string) []string {
		out := []string{}
		for _, id := range ids {
			out = append(out, names[id])
		}
		return out
	}
	incs := d.PD.Incidents()
	slices.Reverse(incs)
	for _, in := range incs {
		if !in.Open() && in.ResolvedAt.Before(d.start) {
			continue // last week's history is for the report, not the panel
		}
		side.Incidents = append(side.Incidents, incidentInfo{
			ID: in.ID, Number: in.Number, Title: in.Title, Service: services[in.ServiceID], Status: in.Status,
			Urgency: in.Urgency, Assignees: nameAll(in.AssigneeIDs), AckedBy: nameAll(acked2ids(in.Acknowledgers)), Created: in.CreatedAt,
		})
	}
	for _, sc := range []struct{ id, name string }{{"PSPLATFORM", "Platform primary"}, {"PSPAYMENTS", "Payments primary"}} {
		for _, o := range d.PD.Overrides(sc.id) {
			side.Overrides = append(side.Overrides, overrideInfo{Schedule: sc.name, User: names[o.UserID], Start: o.Start, End: o.End})
		}
	}
	for _, mw := range d.PD.MaintenanceWindows() {
		side.Maintenance = append(side.Maintenance, maintenanceInfo{
			Description: mw.Description, Services: nameAllServices(mw.ServiceIDs, services), Start: mw.Start, End: mw.End, By: mw.CreatedBy,
		})
	}
	return side
}

func acked2ids(acks []pdfake.Ack) []string {
	out := make([]string, 0, len(acks))
	for _, a := range acks {
		out = append(out, a.UserID)
	}
	return out
}

func nameAllServices(ids []string, names map[string]string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, names[id])
	}
	return out
}

// handlePDTrigger opens an incident as a monitoring integration would.
func (d *Demo) handlePDTrigger(w http.ResponseWriter, r *http.Request) {
	var req struct{ Service, Title, Urgency string }
	if !decode(w, r, &req) {
		return
	}
	req.Title = strings.TrimSpace(req.Title)
	if !knownService(req.Service) || req.Title == "" || (req.Urgency != "high" && req.Urgency != "low") {
		writeError(w, http.StatusBadRequest, "an incident needs a demo service, a title and an urgency (high or low)")
		return
	}
	in := d.PD.AddIncident(pdfake.Incident{Title: req.Title, ServiceID: req.Service, Urgency: req.Urgency})
	d.news.notify()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "id": in.ID})
}

// handlePDChange acknowledges or resolves an incident as a person would in
// the PagerDuty phone app: the bot learns of it from PagerDuty's log.
func (d *Demo) handlePDChange(w http.ResponseWriter, r *http.Request) {
	var req struct{ Incident, Action, User string }
	if !decode(w, r, &req) || !knownUser(w, req.User) {
		return
	}
	p, _ := personBySlack(req.User)
	var err error
	switch req.Action {
	case "acknowledge":
		err = d.PD.AcknowledgeAs(req.Incident, p.PDID)
	case "resolve":
		err = d.PD.ResolveAs(req.Incident, p.PDID)
	default:
		writeError(w, http.StatusBadRequest, "action must be acknowledge or resolve")
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "PagerDuty refused: "+err.Error())
		return
	}
	d.news.notify()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// stormSize is how many incidents the storm button fires at once.
const stormSize = 50

// handlePDStorm fires 50 incidents at one service within a second, as a
// failing dependency does; toban rolls them into a digest card.
func (d *Demo) handlePDStorm(w http.ResponseWriter, r *http.Request) {
	var req struct{ Service string }
	if !decode(w, r, &req) {
		return
	}
	if !knownService(req.Service) {
		writeError(w, http.StatusBadRequest, "no such demo service")
		return
	}
	name := req.Service
	for _, sv := range Services {
		if sv.ID == req.Service {
			name = sv.Name
		}
	}
	for i := 1; i <= stormSize; i++ {
		d.PD.AddIncident(pdfake.Incident{
			Title: fmt.Sprintf("%s: health check %02d of %d failing", name, i, stormSize), ServiceID: req.Service, Urgency: "high",
		})
	}
	d.news.notify()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "incidents": stormSize})
}

func knownService(id string) bool {
	for _, sv := range Services {
		if sv.ID == id {
			return true
		}
	}
	return false
}
