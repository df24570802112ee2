package handlers

import (
	"context"
	"time"

	"github.com/tobanbot/toban/domain"
	"github.com/tobanbot/toban/scheduler"
)

// TaskStore is the database of scheduled operations tasks.
type TaskStore interface {
	SaveTask(ctx context.Context, t domain.Task) (domain.Task, error)
	Task(ctx context.Context, id string) (domain.Task, error)
	TasksInChannel(ctx context.Context, channelID string) ([]domain.Task, error)
	SetTaskPaused(ctx context.Context, id string, paused bool) error
	DeleteTask(ctx context.Context, id string) error

	ClaimOccurrence(ctx context.Context, taskID string, due time.Time, late bool, channelID string, escalateAt time.Time) (domain.Occurrence, bool, error)
	SetOccurrencePosted(ctx context.Context, id, ts string) error
	Occurrence(ctx context.Context, id string) (domain.Occurrence, error)
	// RetakeUnposted claims for this replica the occurrences claimed but
	// never posted whose claims have lapsed (their replica died).
	RetakeUnposted(ctx context.Context) ([]domain.Occurrence, error)
	StartOccurrence(ctx context.Context, id, user string, at time.Time) (domain.Occurrence, bool, error)
	CompleteOccurrence(ctx context.Context, id, user string, at time.Time) (domain.Occurrence, bool, error)
	SkipOccurrence(ctx context.Context, id, user, reason string, at time.Time) (domain.Occurrence, bool, error)
	SnoozeOccurrence(ctx context.Context, id, user string, until, escalateAt time.Time) (domain.Occurrence, bool, error)
	NextEscalation(ctx context.Context) (domain.Occurrence, bool, error)
	MarkEscalated(ctx context.Context, id string, at time.Time, incidentID string) error
	PostponeEscalation(ctx context.Context, id string, at time.Time) error
	OccurrencesForIncident(ctx context.Context, incidentID string) ([]domain.Occurrence, error)
}

// TaskEngine schedules tasks' due times (the scheduler package).
type TaskEngine interface {
	Upsert(t scheduler.Task)
	Remove(taskID string)
	NextDue(taskID string) (time.Time, bool)
}

// MessageFinder finds a message toban posted, by the metadata it attached,
// so that a card posted just before a crash is found instead of posted
// twice.
type MessageFinder interface {
	FindMessage(ctx context.Context, channelID string, since time.Time, eventType, key string) (ts string, found bool, err error)
}
