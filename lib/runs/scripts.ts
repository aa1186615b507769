/*
 * Lua run inside the one pipeline a step invocation sends, so reading the current state and writing the
 * next one is atomic without another round trip.
 */

/**
 * Updates a run hash and its indexes.
 * KEYS: run, all-index, workflow-index, 7 status indexes, 7 workflow+status indexes (RUN_STATUSES order),
 *       full input (kept as long as the record when the record holds only a preview)
 * ARGV: setJson, setOnceJson, status ("" = keep), mode ("normal" | "reopen"), now, ttlSeconds, cutoff, member,
 *       seq ("" = unordered), recoveredStep ("" = none)
 * Set-once fields always apply (a late first write still brings the input, source and parent).
 * A set field whose value is JSON null is removed (so a later set-once write can fill it again).
 * recoveredStep: that step succeeded, so an error it (or no step) left on the run is stale and removed.
 * A terminal status sticks unless mode is "reopen" (DLQ resume); "queued" never replaces a status.
 * A seq below the stored one is a late write from an earlier step: only its set-once fields apply.
 */
export const UPDATE_RUN = `
local statuses = {'queued','running','sleeping','waiting','succeeded','failed','canceled'}
local terminal = {succeeded=true, failed=true, canceled=true}
local current = redis.call('HGET', KEYS[1], 'status')
local status = ARGV[3]
for field, value in pairs(cjson.decode(ARGV[2])) do redis.call('HSETNX', KEYS[1], field, value) end
if current and terminal[current] and ARGV[4] ~= 'reopen' then return current end
if status == 'queued' and current then status = '' end
local seq = tonumber(ARGV[9])
local stale = false
if seq then
  local applied = tonumber(redis.call('HGET', KEYS[1], 'seq'))
  if applied and seq < applied then stale = true else redis.call('HSET', KEYS[1], 'seq', seq) end
end
if stale then status = '' else
  if ARGV[10] ~= '' then
    local raw = redis.call('HGET', KEYS[1], 'error')
    local ok, err = pcall(cjson.decode, raw or '')
    if ok and type(err) == 'table' and (err.step == nil or err.step == ARGV[10]) then
      redis.call('HDEL', KEYS[1], 'error')
    end
  end
  for field, value in pairs(cjson.decode(ARGV[1])) do
    if value == 'null' then redis.call('HDEL', KEYS[1], field) else redis.call('HSET', KEYS[1], field, value) end
  end
end
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[5])
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[5])
local ttl = tonumber(ARGV[6])
redis.call('EXPIRE', KEYS[1], ttl)
if redis.call('HEXISTS', KEYS[1], 'inputClaimed') == 1 then redis.call('EXPIRE', KEYS[18], ttl) end
local score = tonumber(redis.call('HGET', KEYS[1], 'createdAt'))
local member = ARGV[8]
local function index(key)
  redis.call('ZADD', key, score, member)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[7])
  redis.call('EXPIRE', key, ttl)
end
index(KEYS[2])
index(KEYS[3])
if status == '' then status = current end
if not status then return false end
redis.call('HSET', KEYS[1], 'status', status)
for i, name in ipairs(statuses) do
  if name == status then
    index(KEYS[3 + i])
    index(KEYS[10 + i])
  else
    redis.call('ZREM', KEYS[3 + i], member)
    redis.call('ZREM', KEYS[10 + i], member)
  end
end
return status
`;

/**
 * Appends an event to a run's @upstash/realtime channel (stream + pub/sub) in the format realtime's
 * `emit` writes, so realtime's `history`/`subscribe` read it unchanged.
 * KEYS: stream, steps hash (only with onceField) ; ARGV: event, dataJson, ttlSeconds, maxLen, onceField, onceValue
 * With onceField, the event is written only if HSETNX on the steps hash sets it (a step finishes once).
 */
export const EMIT_EVENT = `
if ARGV[5] ~= '' then
  if redis.call('HSETNX', KEYS[2], ARGV[5], ARGV[6]) == 0 then return false end
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'data', ARGV[2], 'event', ARGV[1], 'channel', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('PUBLISH', KEYS[1], '{"data":' .. ARGV[2] .. ',"event":' .. cjson.encode(ARGV[1]) ..
  ',"channel":' .. cjson.encode(KEYS[1]) .. ',"id":"' .. id .. '"}')
return id
`;
