package chat

import (
	"context"
	"errors"
	"strconv"

	"github.com/tobanbot/toban/domain"
)

// Row is how RemoveButton reaches one kind of stored row by its ID: read
// it, delete it, and say what its removal changed.
type Row[T any] struct {
	Read    func(ctx context.Context, id int64) (T, error)
	Delete  func(ctx context.Context, id int64) error
	Removed func(row T) string
	// Gone answers a row already removed (a double click, another admin).
	Gone string
	// Again names the command that lists the rows, for a broken button.
	Again string
}

// RemoveButton answers a Remove button whose value is a row's ID, by
// response_url: a row already gone is said so, a deleted one with what
// its removal changed. The caller checks who may click it.
func RemoveButton[T any](s Responder, place Place, value string, row Row[T]) Response {
	id, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return RespondLater(s, place.ResponseURL, Message{Text: ":thinking_face: That button is broken; run `" + row.Again + "` again."})
	}
	return Response{Then: func(ctx context.Context) error {
		r, err := row.Read(ctx, id)
		if errors.Is(err, domain.ErrNotFound) {
			return s.Respond(ctx, place.ResponseURL, Message{Text: row.Gone})
		}
		if err != nil {
			return err
		}
		if err := row.Delete(ctx, id); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		return s.Respond(ctx, place.ResponseURL, Message{Text: row.Removed(r)})
	}}
}
