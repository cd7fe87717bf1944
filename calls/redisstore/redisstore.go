// Package redisstore keeps calls (calls.Store) in Redis, where every
// instance of the server reads them: a call's record, the carrier's id
// of it, the list of calls, the execution ledger and the recent events,
// with the call's subscribers woken through Pub/Sub.
//
// Keys, under the store's prefix P (a call's id and a ledger key are
// written query-escaped, so that neither holds a ':'):
//
//	P call:<id>                 hash: the record (see below), with the record's TTL
//	P carrier:<transport>:<provider>  string: the call's id, with the record's TTL
//	P calls                     sorted set: call ids scored by View.Started (Unix ms)
//	P events:<id>               list: the last 32 events, "<event id> <SSE text>";
//	                            also the Pub/Sub channel an Append publishes on
//	P ledger:<id>               set: the call's ledger keys, so Delete finds them
//	P entry:<id>:<key>          string: an Entry as JSON, with its own TTL
//
// The record is a hash rather than one JSON value: epoch, version,
// handovers, instance and outcome are fields of their own, which the Lua
// scripts of Save and Claim compare and change without decoding JSON
// (Redis's cjson turns [] into {} and rounds integers above 2^53, and
// would have to decode and re-encode the snapshot on every claim); rec is
// the rest of the Record as JSON, the snapshot and transcript are raw
// fields (so List leaves them in Redis), and carrier names the carrier's
// key, which Delete removes. The fields win over rec's copies of them.
//
// The scripts touch a call's keys together with the list and the
// carrier's key, so on a Redis Cluster the prefix must hold a hash tag
// ("{voiceagent}:") that puts every key in one slot.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/voiceagent/voiceagent/calls"
)

// maxEvents is what a call's list of events keeps: calls' maxStreamEvents
// (32), which is unexported.
const maxEvents = 32

// Store is a calls.Store in Redis. Close it when done (its subscribers'
// channels are not closed; they are woken no more).
//
// A Record's View should carry no Transcript (Record.Transcript is the
// transcript): one would come back decoded from JSON, not as it was.
type Store struct {
	c      redis.UniversalClient
	prefix string
	owned  bool // Open made c, and Close closes it
	hub    *hub
}

var _ calls.Store = (*Store)(nil)

// New returns a Store on client, its keys under prefix. The client should
// not retry commands (MaxRetries -1): a retried Save or Claim that had
// been carried out before its connection broke would be refused as stale,
// or claim twice; Open's client does not.
func New(client redis.UniversalClient, prefix string) *Store {
	return &Store{c: client, prefix: prefix, hub: newHub(client)}
}

// Open connects to the Redis at rawURL (redis://[user:password@]host:port[/db],
// rediss:// for TLS, or unix://; see redis.ParseURL for its query
// options) and returns a Store on it, its keys under prefix. It does not
// wait for Redis: Ping says whether it can be reached.
//
// Unless the URL says otherwise, a dead Redis fails fast (dial within
// 500 ms, one attempt; reads and writes within 1 s; commands never
// retried) and the pool holds up to 128 connections: a thousand calls,
// each saving once a turn and appending a few events a second, keep a
// few busy at a time (BenchmarkSave: 90 µs a save on loopback), and the
// rest absorb a slow moment of Redis without queueing.
func Open(rawURL, prefix string) (*Store, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	q := u.Query()
	set := func(name string, f func()) {
		if !q.Has(name) {
			f()
		}
	}
	set("dial_timeout", func() { opt.DialTimeout = 500 * time.Millisecond })
	set("read_timeout", func() { opt.ReadTimeout = time.Second })
	set("write_timeout", func() { opt.WriteTimeout = time.Second })
	set("pool_timeout", func() { opt.PoolTimeout = time.Second })
	set("pool_size", func() { opt.PoolSize = 128 })
	set("max_retries", func() { opt.MaxRetries = -1 })
	opt.DialerRetries = 1
	opt.ContextTimeoutEnabled = true
	// Redis Enterprise's maintenance notifications: a plain Redis
	// refuses the handshake on every new connection.
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	quiet.Do(func() { redis.SetLogger(silent{}) })
	s := New(redis.NewClient(opt), prefix)
	s.owned = true
	return s, nil
}

// Close stops the store's subscriptions, and closes the client if Open
// made it.
func (s *Store) Close() error {
	s.hub.close()
	if s.owned {
		return s.c.Close()
	}
	return nil
}

// unavailableError is an error of Redis or of the way to it: it is
// calls.ErrUnavailable and the error itself.
type unavailableError struct {
	op  string
	err error
}

func (e *unavailableError) Error() string {
	return "redisstore: " + e.op + ": " + calls.ErrUnavailable.Error() + ": " + e.err.Error()
}

func (e *unavailableError) Unwrap() []error { return []error{calls.ErrUnavailable, e.err} }

func unavailable(op string, err error) error { return &unavailableError{op: op, err: err} }

// esc writes an id into a key: it never holds a ':' then.
func esc(s string) string { return url.QueryEscape(s) }

func (s *Store) callKey(eid string) string   { return s.prefix + "call:" + eid }
func (s *Store) eventsKey(eid string) string { return s.prefix + "events:" + eid }
func (s *Store) ledgerKey(eid string) string { return s.prefix + "ledger:" + eid }
func (s *Store) entryKey(eid, key string) string {
	return s.prefix + "entry:" + eid + ":" + esc(key)
}
func (s *Store) listKey() string { return s.prefix + "calls" }
func (s *Store) carrierKey(transport, provider string) string {
	return s.prefix + "carrier:" + esc(transport) + ":" + esc(provider)
}

// millis is ttl for PX and PEXPIRE, which refuse 0: a ttl under a
// millisecond keeps what is written for one.
func millis(ttl time.Duration) int64 { return max(ttl.Milliseconds(), 1) }

// saveScript writes a record unless the stored one is later (it returns 0
// then). Epochs and versions are compared as Lua numbers, exact up to
// 2^53.
//
// KEYS: the record, the carrier's key (the record's again when none), the
// list, the events. ARGV: epoch, version, handovers, instance, outcome,
// rec, has snapshot (1/0), snapshot, has transcript, transcript, ttl ms,
// id (escaped), started ms, the records' key prefix, has carrier.
var saveScript = redis.NewScript(`
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'version', 'handovers')
local handovers = ARGV[3]
if cur[1] then
  local epoch, version = tonumber(ARGV[1]), tonumber(ARGV[2])
  local e, v = tonumber(cur[1]), tonumber(cur[2])
  if e > epoch or (e == epoch and v >= version) then
    return 0
  end
  -- the count of hand-overs is the store's: Claim keeps it
  if tonumber(cur[3]) > tonumber(handovers) then
    handovers = cur[3]
  end
else
  -- a new call: the list drops its two oldest ids whose records expired,
  -- so that it does not grow with every call ever made
  for _, m in ipairs(redis.call('ZRANGE', KEYS[3], 0, 1)) do
    if m ~= ARGV[12] and redis.call('EXISTS', ARGV[14] .. m) == 0 then
      redis.call('ZREM', KEYS[3], m)
    end
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'version', ARGV[2], 'handovers', handovers,
  'instance', ARGV[4], 'outcome', ARGV[5], 'rec', ARGV[6])
if ARGV[7] == '1' then redis.call('HSET', KEYS[1], 'snapshot', ARGV[8]) end
if ARGV[9] == '1' then redis.call('HSET', KEYS[1], 'transcript', ARGV[10]) end
if ARGV[15] == '1' then
  redis.call('SET', KEYS[2], ARGV[12], 'PX', ARGV[11])
  redis.call('HSET', KEYS[1], 'carrier', KEYS[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[11])
redis.call('ZADD', KEYS[3], ARGV[13], ARGV[12])
redis.call('PEXPIRE', KEYS[4], ARGV[11])
return 1
`)

func flag(b []byte) string {
	if b == nil {
		return "0"
	}
	return "1"
}

// Save writes rec unless a later record of the call is stored.
func (s *Store) Save(ctx context.Context, rec *calls.Record, ttl time.Duration) error {
	body := *rec
	body.Snapshot, body.Transcript = nil, nil
	js, err := json.Marshal(&body)
	if err != nil {
		return fmt.Errorf("redisstore: encoding the record of %s: %w", rec.View.ID, err)
	}
	eid := esc(rec.View.ID)
	key := s.callKey(eid)
	carrier, hasCarrier := key, "0"
	if rec.View.ProviderID != "" {
		carrier, hasCarrier = s.carrierKey(rec.View.Transport, rec.View.ProviderID), "1"
	}
	n, err := saveScript.Run(ctx, s.c, []string{key, carrier, s.listKey(), s.eventsKey(eid)},
		rec.Epoch, rec.Version, rec.View.Handovers, rec.View.Instance, rec.Outcome, js,
		flag(rec.Snapshot), rec.Snapshot, flag(rec.Transcript), rec.Transcript,
		millis(ttl), eid, rec.View.Started.UnixMilli(), s.prefix+"call:", hasCarrier).Int()
	if err != nil {
		return unavailable("save", err)
	}
	if n == 0 {
		return calls.ErrStale
	}
	return nil
}

// listFields are the fields List reads: all but the snapshot and the
// transcript.
var listFields = []string{"rec", "epoch", "version", "handovers", "instance"}

// decode makes a record of its hash's fields.
func decode(id string, get func(string) (string, bool)) (*calls.Record, error) {
	js, ok := get("rec")
	if !ok {
		return nil, fmt.Errorf("redisstore: the record of %s has no rec field", id)
	}
	var r calls.Record
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		return nil, fmt.Errorf("redisstore: decoding the record of %s: %w", id, err)
	}
	var err error
	num := func(name string) int64 {
		v, _ := get(name)
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("redisstore: the record of %s: %s %q: %w", id, name, v, e)
		}
		return n
	}
	r.Epoch, r.Version, r.View.Handovers = num("epoch"), num("version"), int(num("handovers"))
	r.View.Instance, _ = get("instance")
	if v, ok := get("snapshot"); ok {
		r.Snapshot = []byte(v)
	}
	if v, ok := get("transcript"); ok {
		r.Transcript = []byte(v)
	}
	return &r, err
}

func fromMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// Load returns the call's record.
func (s *Store) Load(ctx context.Context, id string) (*calls.Record, error) {
	m, err := s.c.HGetAll(ctx, s.callKey(esc(id))).Result()
	if err != nil {
		return nil, unavailable("load", err)
	}
	if len(m) == 0 {
		return nil, calls.ErrNotFound
	}
	return decode(id, fromMap(m))
}

// claimScript: nil when there is no record; {0, fields} when the call has
// ended; else {1, fields} of the record claimed (epoch+1, version 0,
// instance, handovers+1). The record keeps its time to live.
var claimScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
local outcome = redis.call('HGET', KEYS[1], 'outcome')
if outcome and outcome ~= '' then
  return {0, redis.call('HGETALL', KEYS[1])}
end
redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HINCRBY', KEYS[1], 'handovers', 1)
redis.call('HSET', KEYS[1], 'version', '0', 'instance', ARGV[1])
return {1, redis.call('HGETALL', KEYS[1])}
`)

// Claim takes the call over for instance.
func (s *Store) Claim(ctx context.Context, id, instance string) (*calls.Record, error) {
	res, err := claimScript.Run(ctx, s.c, []string{s.callKey(esc(id))}, instance).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, calls.ErrNotFound
	}
	if err != nil {
		return nil, unavailable("claim", err)
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("redisstore: claim of %s: unexpected reply %v", id, res)
	}
	flat, _ := res[1].([]any)
	m := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		m[k] = v
	}
	rec, err := decode(id, fromMap(m))
	if err != nil {
		return nil, err
	}
	if st, _ := res[0].(int64); st == 0 {
		return rec, calls.ErrEnded
	}
	return rec, nil
}

// lookupScript returns the id the carrier's key names, when its record
// is there. ARGV: the records' key prefix.
var lookupScript = redis.NewScript(`
local id = redis.call('GET', KEYS[1])
if not id or redis.call('EXISTS', ARGV[1] .. id) == 0 then
  return false
end
return id
`)

// Lookup returns the id of the call the carrier knows by provider.
func (s *Store) Lookup(ctx context.Context, transport, provider string) (string, error) {
	eid, err := lookupScript.Run(ctx, s.c, []string{s.carrierKey(transport, provider)}, s.prefix+"call:").Text()
	if errors.Is(err, redis.Nil) {
		return "", calls.ErrNotFound
	}
	if err != nil {
		return "", unavailable("lookup", err)
	}
	id, err := url.QueryUnescape(eid)
	if err != nil {
		return "", fmt.Errorf("redisstore: the carrier's id %q: %w", eid, err)
	}
	return id, nil
}

// List returns up to n calls, the most recently started first. It reads
// the list's ids in batches a little larger than n, dropping from it the
// ids whose records expired, for at most a few batches.
func (s *Store) List(ctx context.Context, n int) ([]*calls.Record, error) {
	if n <= 0 {
		return nil, nil
	}
	batch := int64(n + n/4 + 8)
	var out []*calls.Record
	start := int64(0)
	for pass := 0; pass < 4 && len(out) < n; pass++ {
		eids, err := s.c.ZRevRange(ctx, s.listKey(), start, start+batch-1).Result()
		if err != nil {
			return nil, unavailable("list", err)
		}
		if len(eids) == 0 {
			break
		}
		pipe := s.c.Pipeline()
		cmds := make([]*redis.SliceCmd, len(eids))
		for i, eid := range eids {
			cmds[i] = pipe.HMGet(ctx, s.callKey(eid), listFields...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, unavailable("list", err)
		}
		var gone []any
		for i, cmd := range cmds {
			vals := cmd.Val()
			if len(vals) != len(listFields) || vals[0] == nil {
				gone = append(gone, eids[i])
				continue
			}
			id, err := url.QueryUnescape(eids[i])
			if err != nil {
				return nil, fmt.Errorf("redisstore: a listed id %q: %w", eids[i], err)
			}
			r, err := decode(id, func(k string) (string, bool) {
				i := slices.Index(listFields, k)
				if i < 0 {
					return "", false
				}
				v, ok := vals[i].(string)
				return v, ok
			})
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		if len(gone) > 0 {
			if err := s.c.ZRem(ctx, s.listKey(), gone...).Err(); err != nil {
				return nil, unavailable("list", err)
			}
		}
		if int64(len(eids)) < batch {
			break
		}
		start += int64(len(eids) - len(gone)) // the ids gone no longer take a rank
	}
	// The list's scores are milliseconds: the records' own times order
	// calls started within one.
	slices.SortStableFunc(out, func(a, b *calls.Record) int { return b.View.Started.Compare(a.View.Started) })
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// deleteScript removes a call's record, its carrier's key (when it still
// names the call), its events, its ledger entries, and its id from the
// list; it returns 1 when there was a record. ARGV: id (escaped), the
// prefix of its ledger entries' keys.
var deleteScript = redis.NewScript(`
local carrier = redis.call('HGET', KEYS[1], 'carrier')
if carrier and redis.call('GET', carrier) == ARGV[1] then
  redis.call('DEL', carrier)
end
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
for _, k in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  redis.call('DEL', ARGV[2] .. k)
end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
return existed
`)

// Delete removes the call's record, its events and its ledger entries.
func (s *Store) Delete(ctx context.Context, id string) (bool, error) {
	eid := esc(id)
	n, err := deleteScript.Run(ctx, s.c, []string{s.callKey(eid), s.eventsKey(eid), s.ledgerKey(eid), s.listKey()},
		eid, s.prefix+"entry:"+eid+":").Int()
	if err != nil {
		return false, unavailable("delete", err)
	}
	return n == 1, nil
}

// ledgerScript writes an entry and notes its key in the call's set,
// whose time to live is made the longest of its entries'. With ARGV[4]
// "nx" it writes only when there is no entry, and returns the one there.
// ARGV: the entry, ttl ms, the entry's key (escaped), nx or set.
var ledgerScript = redis.NewScript(`
if ARGV[4] == 'nx' then
  local old = redis.call('GET', KEYS[1])
  if old then
    return old
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return false
`)

func (s *Store) ledger(ctx context.Context, op, call, key string, e *calls.Entry, ttl time.Duration, mode string) (*calls.Entry, error) {
	js, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("redisstore: encoding a ledger entry: %w", err)
	}
	eid := esc(call)
	old, err := ledgerScript.Run(ctx, s.c, []string{s.entryKey(eid, key), s.ledgerKey(eid)}, js, millis(ttl), esc(key), mode).Text()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable(op, err)
	}
	var prev calls.Entry
	if err := json.Unmarshal([]byte(old), &prev); err != nil {
		return nil, fmt.Errorf("redisstore: decoding the ledger entry %s of %s: %w", key, call, err)
	}
	return &prev, nil
}

// Begin records that the run named key is about to be sent by owner,
// unless it has an entry (which it returns).
func (s *Store) Begin(ctx context.Context, call, key, owner string, ttl time.Duration) (*calls.Entry, error) {
	return s.ledger(ctx, "begin", call, key, &calls.Entry{Owner: owner, Started: time.Now()}, ttl, "nx")
}

// Finish records the run's outcome under key.
func (s *Store) Finish(ctx context.Context, call, key string, e *calls.Entry, ttl time.Duration) error {
	_, err := s.ledger(ctx, "finish", call, key, e, ttl, "set")
	return err
}

// Append adds an event to the call's last ones and wakes its subscribers,
// in one MULTI.
func (s *Store) Append(ctx context.Context, call string, id int64, data []byte, ttl time.Duration) error {
	key := s.eventsKey(esc(call))
	v := make([]byte, 0, 21+len(data))
	v = strconv.AppendInt(v, id, 10)
	v = append(v, ' ')
	v = append(v, data...)
	// One script, not MULTI and four commands: a call has about a
	// hundred events, and each is one command to Redis this way.
	err := appendScript.Run(ctx, s.c, []string{key}, v, maxEvents, millis(ttl), id).Err()
	if err != nil {
		return unavailable("append", err)
	}
	return nil
}

// Events returns the call's recent events with an id above after.
func (s *Store) Events(ctx context.Context, call string, after int64) ([]calls.StoredEvent, error) {
	vals, err := s.c.LRange(ctx, s.eventsKey(esc(call)), 0, -1).Result()
	if err != nil {
		return nil, unavailable("events", err)
	}
	var out []calls.StoredEvent
	for _, v := range vals {
		num, data, ok := strings.Cut(v, " ")
		id, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("redisstore: an event of %s: %.40q", call, v)
		}
		if id > after {
			out = append(out, calls.StoredEvent{ID: id, Data: []byte(data)})
		}
	}
	return out, nil
}

// Subscribe wakes the channel whenever an event is appended to the
// call's, on any instance.
func (s *Store) Subscribe(ctx context.Context, call string) (<-chan struct{}, func(), error) {
	return s.hub.subscribe(ctx, s.eventsKey(esc(call)))
}

// Ping says whether Redis can be reached.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.c.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Addr is the Redis server the store uses, as host:port.
func (s *Store) Addr() string {
	if c, ok := s.c.(*redis.Client); ok {
		return c.Options().Addr
	}
	return "redis"
}

// quiet silences go-redis's own log, which writes every failed dial to
// stderr: during an outage that is a line per save. The call layer says
// once that Redis is down, and once that it is back (calls.Layer).
var quiet sync.Once

type silent struct{}

func (silent) Printf(context.Context, string, ...any) {}

// appendScript adds an event to a call's list, keeps the last ARGV[2],
// renews its expiry and wakes the call's subscribers, atomically.
var appendScript = redis.NewScript(`
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[1], ARGV[4])
return 1
`)
