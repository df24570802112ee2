package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tobanbot/toban/domain"
)

// SaveOnCallGroup ties a user group to a schedule or an escalation level,
// replacing the group's earlier tie (its member set and warnings start
// afresh). It returns the tie's ID.
func (db *DB) SaveOnCallGroup(ctx context.Context, g domain.OnCallGroup) (int64, error) {
	if err := g.Validate(); err != nil {
		return 0, fmt.Errorf("save on-call group: %w", err)
	}
	var id int64
	err := db.sql.QueryRowContext(ctx, `
		INSERT INTO oncall_groups (group_id, handle, schedule_id, policy_id, level, source_name, channel_id, created_by, members, gap_warned, free_plan_warned, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', 0, 0, $9)
		ON CONFLICT (group_id) DO UPDATE SET
			handle = excluded.handle, schedule_id = excluded.schedule_id, policy_id = excluded.policy_id,
			level = excluded.level, source_name = excluded.source_name, channel_id = excluded.channel_id,
			created_by = excluded.created_by, members = '', gap_warned = 0, free_plan_warned = 0,
			created_at = excluded.created_at
		RETURNING id`,
		g.GroupID, g.Handle, g.ScheduleID, g.PolicyID, g.Level, g.SourceName, g.ChannelID, g.CreatedBy, db.now().Unix()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save on-call group %s: %w", g.GroupID, err)
	}
	return id, nil
}

const onCallGroupColumns = `id, group_id, handle, schedule_id, policy_id, level, source_name, channel_id, created_by, members, gap_warned, free_plan_warned`

func scanOnCallGroups(rows *sql.Rows) ([]domain.OnCallGroup, error) {
	defer rows.Close()
	var out []domain.OnCallGroup
	for rows.Next() {
		var g domain.OnCallGroup
		var members string
		var gap, free int
		if err := rows.Scan(&g.ID, &g.GroupID, &g.Handle, &g.ScheduleID, &g.PolicyID, &g.Level, &g.SourceName,
			&g.ChannelID, &g.CreatedBy, &members, &gap, &free); err != nil {
			return nil, err
		}
		g.Members = splitList(members)
		g.GapWarned, g.FreePlanWarned = gap == 1, free == 1
		out = append(out, g)
	}
	return out, rows.Err()
}

// OnCallGroups lists every tie, by handle.
func (db *DB) OnCallGroups(ctx context.Context) ([]domain.OnCallGroup, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+onCallGroupColumns+` FROM oncall_groups ORDER BY handle, id`)
	if err != nil {
		return nil, fmt.Errorf("on-call groups: %w", err)
	}
	list, err := scanOnCallGroups(rows)
	if err != nil {
		return nil, fmt.Errorf("on-call groups: %w", err)
	}
	return list, nil
}

// OnCallGroup reads one tie.
func (db *DB) OnCallGroup(ctx context.Context, id int64) (domain.OnCallGroup, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+onCallGroupColumns+` FROM oncall_groups WHERE id = $1`, id)
	if err != nil {
		return domain.OnCallGroup{}, fmt.Errorf("on-call group %d: %w", id, err)
	}
	list, err := scanOnCallGroups(rows)
	if err != nil {
		return domain.OnCallGroup{}, fmt.Errorf("on-call group %d: %w", id, err)
	}
	if len(list) == 0 {
		return domain.OnCallGroup{}, fmt.Errorf("on-call group %d: %w", id, domain.ErrNotFound)
	}
	return list[0], nil
}

// DeleteOnCallGroup removes a tie; the user group keeps its members.
func (db *DB) DeleteOnCallGroup(ctx context.Context, id int64) error {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM oncall_groups WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete on-call group %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete on-call group %d: %w", id, domain.ErrNotFound)
	}
	return nil
}

// SetOnCallGroupState records what the sync did for a tie: the member set
// written and whether the gap and free-plan warnings have been said.
func (db *DB) SetOnCallGroupState(ctx context.Context, id int64, members []string, gapWarned, freePlanWarned bool) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE oncall_groups SET members = $1, gap_warned = $2, free_plan_warned = $3 WHERE id = $4`,
		strings.Join(members, ","), boolInt(gapWarned), boolInt(freePlanWarned), id)
	if err != nil {
		return fmt.Errorf("on-call group %d state: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("on-call group %d state: %w", id, domain.ErrNotFound)
	}
	return nil
}
