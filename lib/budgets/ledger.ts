import type { Redis } from "@upstash/redis";

/**
 * Sliding-minute ledgers in Redis, the shape of a provider's own limit: every model call is an entry
 * (time, tokens, requests) in a sorted set, and a call is admitted while the entries of the last
 * minute plus its own stay within the limit. So a whole minute's allowance may go at once, and no
 * sliding minute ever holds more than the limit.
 *
 * Why not @upstash/ratelimit: its token bucket cannot be both (a bucket with capacity = the limit
 * lets 2× through within a minute; one shaped to stay under it releases only a share at once), its
 * sliding window counts two fixed windows by weight (not the provider's exact minute), it cannot
 * replace a reservation with the real usage when the call returns, keeps no queue of waiting runs,
 * and reads `Date.now()` (no virtual clock in tests). Here one script does all of it atomically, one
 * EVALSHA per reservation and one per settlement.
 *
 * Keys per scope (the model, or the model and a tenant): `<scope>:ledger` (ZSET, member
 * `p|s:<id>:<tokens>:<requests>`, score = ms), `<scope>:sums` (HASH t, r: the ledger's totals),
 * `<scope>:queue` (ZSET ticket → first denial, ms) and `<scope>:waiting` (HASH ticket →
 * `deadline:tokens:requests`). `p` entries are reservations of calls in flight: they stay `lease` ms
 * longer than a minute unless settled, so a crashed call never frees its tokens before the provider does.
 */
const COMMON = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])

local function parse(member)
  local kind, t, r = string.match(member, '^(%a):[^:]*:(%d+):(%d+)$')
  return kind, tonumber(t) or 0, tonumber(r) or 0
end

-- HINCRBY refuses "-0", which is what Lua prints for 0 negated.
local function add(sums, t, r)
  if t ~= 0 then redis.call('HINCRBY', sums, 't', t) end
  if r ~= 0 then redis.call('HINCRBY', sums, 'r', r) end
end

local function evict(ledger, sums)
  local old = redis.call('ZRANGEBYSCORE', ledger, '-inf', now - window, 'WITHSCORES')
  for i = 1, #old, 2 do
    local kind, t, r = parse(old[i])
    if kind ~= 'p' or tonumber(old[i + 1]) <= now - window - lease then
      redis.call('ZREM', ledger, old[i])
      add(sums, -t, -r)
    end
  end
  return tonumber(redis.call('HGET', sums, 't') or '0'), tonumber(redis.call('HGET', sums, 'r') or '0')
end

local function keep(keys)
  for _, key in ipairs(keys) do redis.call('PEXPIRE', key, window + lease + 86400000) end
end
`;

/**
 * KEYS: per scope ledger, sums, queue, waiting; then the dollars key (or a placeholder) and the index.
 * ARGV: now, window, lease, grace, id, ticket, tokens, scopes, capMicros (-1: none), costMicros,
 * dayEndMs, then per scope: tokensLimit, requestsLimit (0: none), scope name.
 * Returns {1} admitted, or {0, reason, retryAt, scope index}.
 */
const RESERVE = `${COMMON}
local grace = tonumber(ARGV[4])
local id = ARGV[5]
local ticket = ARGV[6]
local tokens = tonumber(ARGV[7])
local n = tonumber(ARGV[8])
local capMicros = tonumber(ARGV[9])
local costMicros = tonumber(ARGV[10])
local dayEnd = tonumber(ARGV[11])
local dollarsKey = KEYS[4 * n + 1]
local indexKey = KEYS[4 * n + 2]

local function unqueue(s)
  redis.call('ZREM', KEYS[4 * s - 1], ticket)
  redis.call('HDEL', KEYS[4 * s], ticket)
end

if capMicros >= 0 then
  local spent = tonumber(redis.call('GET', dollarsKey) or '0')
  if spent + costMicros > capMicros then
    for s = 1, n do unqueue(s) end
    return {0, 'dollars', dayEnd, n}
  end
end

local blocked = {}
local anyBlocked = false
local state = {}
for s = 1, n do
  local ledger, sums, queue, waiting = KEYS[4 * s - 3], KEYS[4 * s - 2], KEYS[4 * s - 1], KEYS[4 * s]
  local limitT = tonumber(ARGV[11 + 3 * s - 2])
  local limitR = tonumber(ARGV[11 + 3 * s - 1])
  local usedT, usedR = evict(ledger, sums)
  -- Waiters whose time came and went (their run ended or moved on) lose their place.
  local queued = redis.call('ZRANGE', queue, 0, -1)
  for _, other in ipairs(queued) do
    local info = redis.call('HGET', waiting, other)
    local deadline = info and tonumber(string.match(info, '^(%d+):'))
    if not deadline or deadline < now then
      redis.call('ZREM', queue, other)
      redis.call('HDEL', waiting, other)
    end
  end
  -- Oldest first: room is kept for every run that has waited longer than this one.
  local arrival = redis.call('ZSCORE', queue, ticket)
  local ahead
  if arrival then ahead = redis.call('ZRANGEBYSCORE', queue, '-inf', '(' .. arrival) else ahead = redis.call('ZRANGE', queue, 0, -1) end
  local aheadT, aheadR = 0, 0
  for _, other in ipairs(ahead) do
    local info = redis.call('HGET', waiting, other)
    if info then
      local _, t, r = string.match(info, '^(%d+):(%d+):(%d+)')
      aheadT = aheadT + (tonumber(t) or 0)
      aheadR = aheadR + (tonumber(r) or 0)
    end
  end
  local overT = limitT > 0 and usedT + aheadT + tokens - limitT or 0
  local overR = limitR > 0 and usedR + aheadR + 1 - limitR or 0
  state[s] = {overT = overT, overR = overR, limitT = limitT, limitR = limitR}
  if overT > 0 or overR > 0 then
    blocked[s] = true
    anyBlocked = true
  end
end

if not anyBlocked then
  for s = 1, n do
    local ledger, sums = KEYS[4 * s - 3], KEYS[4 * s - 2]
    redis.call('ZADD', ledger, now, 'p:' .. id .. ':' .. tokens .. ':1')
    add(sums, tokens, 1)
    unqueue(s)
    keep({ledger, sums})
    redis.call('SADD', indexKey, ARGV[11 + 3 * s])
  end
  if capMicros >= 0 then
    redis.call('INCRBYFLOAT', dollarsKey, costMicros)
    redis.call('PEXPIREAT', dollarsKey, dayEnd + 86400000)
  end
  return {1}
end

-- When the oldest entries will have left the minute so that 'over' units are free again.
local function freedAt(ledger, over, field)
  local entries = redis.call('ZRANGE', ledger, 0, -1, 'WITHSCORES')
  local freed = 0
  for i = 1, #entries, 2 do
    local _, t, r = parse(entries[i])
    freed = freed + (field == 't' and t or r)
    if freed >= over then return tonumber(entries[i + 1]) + window + 1 end
  end
  return now + window
end

local retryAt, reason, which = 0, 'tokens', 1
for s = 1, n do
  if blocked[s] then
    local ledger, queue, waiting = KEYS[4 * s - 3], KEYS[4 * s - 1], KEYS[4 * s]
    local at, why = 0, 'tokens'
    if state[s].overT > 0 then at = freedAt(ledger, state[s].overT, 't') end
    if state[s].overR > 0 then
      local atR = freedAt(ledger, state[s].overR, 'r')
      if atR > at then at, why = atR, 'requests' end
    end
    if at > retryAt then retryAt, reason, which = at, why, s end
  else
    unqueue(s)
  end
end
for s = 1, n do
  if blocked[s] then
    redis.call('ZADD', KEYS[4 * s - 1], 'NX', now, ticket)
    redis.call('HSET', KEYS[4 * s], ticket, (retryAt + grace) .. ':' .. tokens .. ':1')
    keep({KEYS[4 * s - 1], KEYS[4 * s]})
  end
end
return {0, reason, retryAt, which}
`;

/**
 * KEYS: per scope ledger, sums, queue, waiting; then the dollars key (or a placeholder).
 * ARGV: now, window, lease, id, reservedTokens, usedTokens, usedRequests, scopes, costDeltaMicros,
 * providerUsedTokens, providerUsedRequests (-1: unknown; scope 1 only), then per scope: tokensLimit,
 * requestsLimit. Returns the waiters that fit now, oldest first, to be woken (each once).
 */
const SETTLE = `${COMMON}
local id = ARGV[4]
local reserved = tonumber(ARGV[5])
local used = tonumber(ARGV[6])
local usedR = tonumber(ARGV[7])
local n = tonumber(ARGV[8])
local costDelta = tonumber(ARGV[9])
local providerT = tonumber(ARGV[10])
local providerR = tonumber(ARGV[11])
local fits, queuedIn = {}, {}
for s = 1, n do
  local ledger, sums, queue, waiting = KEYS[4 * s - 3], KEYS[4 * s - 2], KEYS[4 * s - 1], KEYS[4 * s]
  local limitT, limitR = tonumber(ARGV[11 + 2 * s - 1]), tonumber(ARGV[11 + 2 * s])
  evict(ledger, sums)
  if redis.call('ZREM', ledger, 'p:' .. id .. ':' .. reserved .. ':1') == 1 then add(sums, -reserved, -1) end
  if used > 0 or usedR > 0 then
    redis.call('ZADD', ledger, now, 's:' .. id .. ':' .. used .. ':' .. usedR)
    add(sums, used, usedR)
  end
  local t = tonumber(redis.call('HGET', sums, 't') or '0')
  local r = tonumber(redis.call('HGET', sums, 'r') or '0')
  -- The provider saw more than this ledger holds: another client spends the same key. Count it.
  if s == 1 then
    local extraT = providerT >= 0 and math.max(0, providerT - t) or 0
    local extraR = providerR >= 0 and math.max(0, providerR - r) or 0
    if extraT > 0 or extraR > 0 then
      redis.call('ZADD', ledger, now, 's:x' .. id .. ':' .. extraT .. ':' .. extraR)
      add(sums, extraT, extraR)
      t, r = t + extraT, r + extraR
    end
  end
  keep({ledger, sums})
  -- Oldest first, the waiters the minute now has room for (woken ones keep theirs until they come).
  fits[s], queuedIn[s] = {}, {}
  local open = true
  for _, ticket in ipairs(redis.call('ZRANGE', queue, 0, -1)) do
    local info = redis.call('HGET', waiting, ticket)
    local deadline, wt, wr, flag = string.match(info or '', '^(%d+):(%d+):(%d+):?(%a*)$')
    if deadline and tonumber(deadline) >= now then
      queuedIn[s][ticket] = true
      t, r = t + tonumber(wt), r + tonumber(wr)
      open = open and (limitT == 0 or t <= limitT) and (limitR == 0 or r <= limitR)
      if open and flag ~= 'n' then fits[s][ticket] = info end
    end
  end
end
local wake = {}
for s = 1, n do
  for ticket, info in pairs(fits[s]) do
    local everywhere = true
    for other = 1, n do
      if queuedIn[other][ticket] and not fits[other][ticket] then everywhere = false end
    end
    if everywhere and not wake[ticket] then wake[ticket] = redis.call('ZSCORE', KEYS[4 * s - 1], ticket) end
  end
end
local woken = {}
for ticket, _ in pairs(wake) do
  woken[#woken + 1] = ticket
  for s = 1, n do
    local info = redis.call('HGET', KEYS[4 * s], ticket)
    if info and not string.find(info, ':n$') then redis.call('HSET', KEYS[4 * s], ticket, info .. ':n') end
  end
end
local dollarsKey = KEYS[4 * n + 1]
if costDelta ~= 0 and redis.call('EXISTS', dollarsKey) == 1 then redis.call('INCRBYFLOAT', dollarsKey, costDelta) end
return woken
`;

/**
 * KEYS: ledger, sums, queue, waiting. ARGV: now, window, lease.
 * Returns {tokens, requests, latest entry ms or 0, waiting runs}.
 */
const STATUS = `${COMMON}
local t, r = evict(KEYS[1], KEYS[2])
local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
return {t, r, tonumber(latest[2] or '0'), redis.call('ZCARD', KEYS[3])}
`;

export type ReserveReply = [1] | [0, "tokens" | "requests" | "dollars", number, number];

export interface LedgerScripts {
  reserve(keys: string[], args: Array<string | number>): Promise<ReserveReply>;
  settle(keys: string[], args: Array<string | number>): Promise<string[]>;
  status(keys: string[], args: Array<string | number>): Promise<[number, number, number, number]>;
}

export function ledgerScripts(redis: Redis): LedgerScripts {
  const reserve = redis.createScript<ReserveReply>(RESERVE);
  const settle = redis.createScript<string[]>(SETTLE);
  const status = redis.createScript<[number, number, number, number]>(STATUS);
  const text = (args: Array<string | number>) => args.map(String);
  return {
    reserve: (keys, args) => reserve.exec(keys, text(args)),
    settle: (keys, args) => settle.exec(keys, text(args)),
    status: (keys, args) => status.exec(keys, text(args)),
  };
}
