package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tobanbot/toban/domain"
)

func TestImportAndUpdateTasks(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		create     func(ids []string) []domain.Task
		update     func(ids []string) []domain.Task
		wantErr    string // substring; empty means success
		wantTitles string // the titles after, sorted by AllTasks
	}{
		{"UpdateInPlaceAndCreate",
			func([]string) []domain.Task { return []domain.Task{validTask("New")} },
			func(ids []string) []domain.Task {
				a := validTask("Alpha renamed")
				a.ID, a.ChannelID = ids[0], "C0DEV"
				return []domain.Task{a}
			}, "", "Alpha renamed,Beta,New"}, // C0DEV sorts first
		{"UnknownIDChangesNothing",
			func([]string) []domain.Task { return []domain.Task{validTask("New")} },
			func(ids []string) []domain.Task {
				a, b, c := validTask("Alpha renamed"), validTask("Ghost"), validTask("Ghost 2")
				a.ID, b.ID, c.ID = ids[0], "t_nosuchtask1", "t_nosuchtask2"
				return []domain.Task{a, b, c}
			}, "no task t_nosuchtask1, t_nosuchtask2", "Alpha,Beta"},
		{"InvalidUpdateChangesNothing",
			func([]string) []domain.Task { return []domain.Task{validTask("New")} },
			func(ids []string) []domain.Task {
				a := validTask("Alpha")
				a.ID, a.GraceMinutes = ids[0], 5000
				return []domain.Task{a}
			}, "grace", "Alpha,Beta"},
		{"UpdatedTwice", nil,
			func(ids []string) []domain.Task {
				a, b := validTask("A1"), validTask("A2")
				a.ID, b.ID = ids[0], ids[0]
				return []domain.Task{a, b}
			}, "updated twice", "Alpha,Beta"},
		{"CreateWithUpdatedID",
			func(ids []string) []domain.Task { a := validTask("Copy"); a.ID = ids[1]; return []domain.Task{a} },
			func(ids []string) []domain.Task { a := validTask("Alpha"); a.ID = ids[1]; return []domain.Task{a} },
			"same ID", "Alpha,Beta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _, _ := openTaskDB(t)
			alpha := validTask("Alpha")
			alpha.Paused, alpha.Source, alpha.ExternalID, alpha.CreatorPDEmail = true, domain.SourceImport, "x-1", "alice@example.com"
			alpha = mustSaveTask(t, db, alpha)
			beta := mustSaveTask(t, db, validTask("Beta"))
			ids := []string{alpha.ID, beta.ID}
			var create, update []domain.Task
			if tt.create != nil {
				create = tt.create(ids)
			}
			if tt.update != nil {
				update = tt.update(ids)
			}
			err := db.ImportAndUpdateTasks(ctx, create, update)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("ImportAndUpdateTasks = %v, want error containing %q", err, tt.wantErr)
			}
			all, err := db.AllTasks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, task := range all {
				titles = append(titles, task.Title)
			}
			if got := strings.Join(titles, ","); got != tt.wantTitles {
				t.Errorf("titles after = %q, want %q", got, tt.wantTitles)
			}
			got, err := db.Task(ctx, alpha.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Paused || got.Source != domain.SourceImport || got.ExternalID != "x-1" || got.CreatedBy != "U1" || got.CreatorPDEmail != "alice@example.com" {
				t.Errorf("the update did not keep paused, source, external ID and creator: %+v", got)
			}
		})
	}
}

func TestImportAndUpdateTasksUnknownIsNotFound(t *testing.T) {
	db, _, _ := openTaskDB(t)
	a := validTask("A")
	a.ID = "t_nosuchtask1"
	err := db.ImportAndUpdateTasks(context.Background(), nil, []domain.Task{a})
	var unknown *UnknownTasksError
	if !errors.Is(err, domain.ErrNotFound) || !errors.As(err, &unknown) || fmt.Sprint(unknown.IDs) != "[t_nosuchtask1]" {
		t.Errorf("error = %v, want an *UnknownTasksError for t_nosuchtask1 wrapping ErrNotFound", err)
	}
}

func TestDeleteTasks(t *testing.T) {
	tests := []struct {
		name       string
		ids        func(a, b, c string) []string
		wantErr    string
		wantTitles string
	}{
		{"Two", func(a, b, c string) []string { return []string{a, c} }, "", "B"},
		{"Repeated", func(a, b, c string) []string { return []string{b, b} }, "", "A,C"},
		{"OneUnknownDeletesNothing", func(a, b, c string) []string { return []string{a, "t_gone1", b, "t_gone2"} }, "no task t_gone1, t_gone2", "A,B,C"},
		{"None", func(a, b, c string) []string { return nil }, "", "A,B,C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, _, _ := openTaskDB(t)
			a, b, c := mustSaveTask(t, db, validTask("A")), mustSaveTask(t, db, validTask("B")), mustSaveTask(t, db, validTask("C"))
			err := db.DeleteTasks(ctx, tt.ids(a.ID, b.ID, c.ID))
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, domain.ErrNotFound)) {
				t.Fatalf("DeleteTasks = %v, want error containing %q", err, tt.wantErr)
			}
			all, err := db.AllTasks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, task := range all {
				titles = append(titles, task.Title)
			}
			if got := strings.Join(titles, ","); got != tt.wantTitles {
				t.Errorf("titles after = %q, want %q", got, tt.wantTitles)
			}
		})
	}
}
