package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"

	pd "github.com/PagerDuty/go-pagerduty"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/tobanbot/toban/fakes/pdfake"
	"github.com/tobanbot/toban/fakes/slackfake"
)

// The click floor is what any bot pays for a click on this machine: the
// envelope over the socket, its ack, PagerDuty's read and write of the
// incident and the card's chat.update, through the same clients, fakes
// and process boundaries as toban, with nothing of toban's own (no
// database, no locks, no dedupe, no pacing). toban's click p99 is read
// against it: what is left is toban's, the rest is the machine's.

// clickFloor measures the floor over clicks cards, spacing apart.
func clickFloor(clicks int, spacing time.Duration) (clickRun, error) {
	warm := warmClicks(clicks)
	clicks += warm
	s := slackfake.New(slackfake.Options{Now: time.Now})
	defer s.Close()
	p := pdfake.New(pdfake.Options{})
	defer p.Close()
	p.AddUser(pdfake.User{ID: "PU1", Name: "Alice", Email: "alice@example.com"})
	p.AddEscalationPolicy(pdfake.EscalationPolicy{ID: "PEP1", Name: "Ops", Levels: []pdfake.EscalationLevel{{Targets: []pdfake.Target{{Type: pdfake.TargetUser, ID: "PU1"}}}}})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second+time.Duration(clicks)*(spacing+30*time.Second))
	defer cancel()
	// The cards are posted as toban would, by the bot user.
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.URL()))
	cards := make([]benchCard, clicks)
	for i := range cards {
		svc := fmt.Sprintf("PS%03d", i)
		p.AddService(pdfake.Service{ID: svc, Name: "Service " + svc, EscalationPolicyID: "PEP1"})
		inc := p.AddIncident(pdfake.Incident{Title: fmt.Sprintf("Bench incident %03d", i), ServiceID: svc, Urgency: "high", EscalationPolicyID: "PEP1"})
		channel := fmt.Sprintf("C%03d", i)
		_, ts, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText(inc.Title, false), slack.MsgOptionBlocks(floorCard(inc.ID, inc.Title, "triggered")...))
		if err != nil {
			return clickRun{}, fmt.Errorf("post floor card %d: %w", i, err)
		}
		cards[i] = benchCard{channel: channel, ts: ts, incident: inc.ID}
	}

	// Its own process, as toban is: the harness re-executes itself.
	cmd := exec.Command(os.Args[0], "-floor-click")
	cmd.Env = append(os.Environ(), "SLACK_APP_TOKEN="+s.AppToken(), "SLACK_BOT_TOKEN="+s.BotToken(), "SLACK_API_URL="+s.URL(),
		"PAGERDUTY_TOKEN="+p.Token(), "PAGERDUTY_API_URL="+p.URL())
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return clickRun{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if err := s.WaitConnected(ctx, 1); err != nil {
		return clickRun{}, fmt.Errorf("the click floor did not connect: %w", err)
	}
	return measureClicks(ctx, s, cards, warm, spacing)
}

// floorCard is a card of the size of toban's: a title, a status line and
// the incident's buttons.
func floorCard(id, title, status string) []slack.Block {
	return []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*"+title+"*\nStatus: "+status, false, false), nil, nil),
		slack.NewActionBlock("incident/"+id,
			slack.NewButtonBlockElement("incident.acknowledge", id, slack.NewTextBlockObject(slack.PlainTextType, "Acknowledge", false, false)),
			slack.NewButtonBlockElement("incident.resolve", id, slack.NewTextBlockObject(slack.PlainTextType, "Resolve", false, false))),
	}
}

// runClickFloor is the floor's process: ack, read and acknowledge the
// incident in PagerDuty as the clicker, update the card.
func runClickFloor() {
	api := slack.New(os.Getenv("SLACK_BOT_TOKEN"), slack.OptionAppLevelToken(os.Getenv("SLACK_APP_TOKEN")), slack.OptionAPIURL(os.Getenv("SLACK_API_URL")))
	pdc := pd.NewClient(os.Getenv("PAGERDUTY_TOKEN"), pd.WithAPIEndpoint(os.Getenv("PAGERDUTY_API_URL")))
	sm := socketmode.New(api)
	go func() {
		for ev := range sm.Events {
			if ev.Request == nil || ev.Request.EnvelopeID == "" {
				continue
			}
			sm.Ack(*ev.Request)
			cb, ok := ev.Data.(slack.InteractionCallback)
			if !ok || len(cb.ActionCallback.BlockActions) == 0 {
				continue
			}
			go func() {
				ctx := context.Background()
				id := cb.ActionCallback.BlockActions[0].Value
				inc, err := pdc.GetIncidentWithContext(ctx, id)
				if err != nil {
					fmt.Fprintln(os.Stderr, "click floor: read incident:", err)
					return
				}
				if _, err := pdc.ManageIncidentsWithContext(ctx, "alice@example.com", []pd.ManageIncidentsOptions{{ID: id, Status: "acknowledged"}}); err != nil {
					fmt.Fprintln(os.Stderr, "click floor: acknowledge:", err)
					return
				}
				if _, _, _, err := api.UpdateMessageContext(ctx, cb.Container.ChannelID, cb.Container.MessageTs,
					slack.MsgOptionText(inc.Title, false), slack.MsgOptionBlocks(floorCard(id, inc.Title, "acknowledged by Alice")...)); err != nil {
					fmt.Fprintln(os.Stderr, "click floor: update card:", err)
				}
			}()
		}
	}()
	// Run returns only when the connection fails for good.
	fmt.Fprintln(os.Stderr, "click floor:", sm.Run())
	os.Exit(1)
}
