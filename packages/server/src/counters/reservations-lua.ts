/**
 * The Lua of the Redis reservations adapter, inline so that the compiled server carries it. Each script
 * runs atomically. An admission touches the keys of one account (hash tag `{a:<id>}`) and the global
 * sweep index; a settlement batch may touch several accounts. So the adapter needs one Redis, not a
 * cluster (the sweep already spanned slots).
 * Money is compared as Lua numbers: exact below 2^53 micro-units ($9e9), far above any real balance.
 * The rule for holding money mirrors `domain/gateway/hold.ts` (its reference, which the contract suite
 * checks both adapters against).
 */

const HELPERS = `
local function fmt(v) if v == 0 then return '0' end return string.format('%.0f', v) end
local function pos(v) if v > 0 then return v end return 0 end
local function room(lim, used) if lim < 0 then return nil end if lim > used then return lim - used end return 0 end
local function mn(a, b) if b ~= nil and b < a then return b end return a end
`;

/**
 * KEYS: gen, block, usd, diem-of-day, key-period hash, reservation, deadlines, sweep index, then the
 * window keys. ARGV: now, amount, diem allocation, key USD limit (-1: none), key DIEM limit (-1: none),
 * deadline, id, description, reservation ttl, account id, then per window: limit, cost, ttl.
 * The sweep index is written here, in the same atomic step: a hold is never left where no sweeper looks.
 * Replies: {'blocked', until} | {'missing', generation, names...} |
 * {reason ('window_again': refused by a window that refused before), failed window, spendable usd, spendable diem, used...} | {'ok', usd, diem, spendable usd, spendable diem, used...}.
 */
export const RESERVE = `${HELPERS}
local now = tonumber(ARGV[1])
-- One read for the block and both mirrors, one for every window: each call costs Redis as much as its work.
local head = redis.call('MGET', KEYS[2], KEYS[3], KEYS[4])
local blocked, usd, diemUsed = head[1], head[2], head[3]
if blocked and tonumber(blocked) > now then return {'blocked', blocked} end
local key = redis.call('HMGET', KEYS[5], 'usd', 'diem')
local missing = {}
if not usd then missing[#missing + 1] = 'usd' end
if not diemUsed then missing[#missing + 1] = 'diem' end
if not key[1] then missing[#missing + 1] = 'key' end
if #missing > 0 then return {'missing', redis.call('GET', KEYS[1]) or '0', unpack(missing)} end
usd = tonumber(usd)
diemUsed = tonumber(diemUsed)
local amount = tonumber(ARGV[2])
local diemAccount = pos(tonumber(ARGV[3]) - diemUsed)
local diemKey = room(tonumber(ARGV[5]), tonumber(key[2]))
local usdKey = room(tonumber(ARGV[4]), tonumber(key[1]))
local spendUsd = fmt(mn(pos(usd), usdKey))
local spendDiem = fmt(mn(diemAccount, diemKey))
local n = #KEYS - 8
local used = {}
local failed = 0
local counts = n > 0 and redis.call('MGET', unpack(KEYS, 9, 8 + n)) or {}
for i = 1, n do
  used[i] = tonumber(counts[i] or '0')
  local a = 10 + (i - 1) * 3
  if failed == 0 and used[i] + tonumber(ARGV[a + 2]) > tonumber(ARGV[a + 1]) then failed = i end
end
local function refuse(reason, index)
  local out = {reason, tostring(index), spendUsd, spendDiem}
  for i = 1, n do out[#out + 1] = tostring(used[i]) end
  return out
end
if failed > 0 then
  -- One breach per window and limit, however many requests it refuses, on every instance together.
  local first = redis.call('SET', KEYS[8 + failed] .. ':breach', '1', 'NX', 'PX', ARGV[10 + (failed - 1) * 3 + 3])
  if first then return refuse('window', failed) end
  return refuse('window_again', failed)
end
local diem = mn(mn(amount, diemAccount), diemKey)
local need = amount - diem
if need > 0 then
  if usdKey ~= nil and need > usdKey then return refuse('key_usd', 0) end
  if need > pos(usd) then
    if diemKey ~= nil and diemKey < diemAccount then return refuse('key_diem', 0) end
    return refuse('balance', 0)
  end
end
-- Formatted once each: a string.format costs Redis about as much as a command.
local needText, diemText = fmt(need), fmt(diem)
local out = {'ok', needText, diemText, spendUsd, spendDiem}
for i = 1, n do
  local a = 10 + (i - 1) * 3
  local cost = tonumber(ARGV[a + 2])
  -- Only a window key this created gets its expiry (every later count keeps it).
  if redis.call('INCRBY', KEYS[8 + i], cost) == cost then redis.call('PEXPIRE', KEYS[8 + i], ARGV[a + 3]) end
  out[#out + 1] = tostring(used[i] + cost)
end
if need > 0 then
  redis.call('DECRBY', KEYS[3], needText)
  redis.call('HINCRBY', KEYS[5], 'usd', needText)
end
if diem > 0 then
  redis.call('INCRBY', KEYS[4], diemText)
  redis.call('HINCRBY', KEYS[5], 'diem', diemText)
end
redis.call('HSET', KEYS[6], 'st', 'held', 'usd', needText, 'diem', diemText, 'd', ARGV[8])
redis.call('PEXPIRE', KEYS[6], ARGV[9])
redis.call('ZADD', KEYS[7], ARGV[6], ARGV[7])
redis.call('ZADD', KEYS[8], 'LT', ARGV[6], ARGV[10])
return out
`;

/**
 * KEYS: gen, usd, diem-of-day, key-period hash. ARGV: generation read with the `missing` answer, USD
 * balance, DIEM spent on the day, key USD spent, key DIEM spent, day ttl, key ttl (0: none).
 * Sets only what is absent, and nothing if a settlement bumped the generation meanwhile.
 */
export const INIT_MIRRORS = `
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'NX')
redis.call('SET', KEYS[3], ARGV[3], 'NX', 'PX', ARGV[6])
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('HSET', KEYS[4], 'usd', ARGV[4], 'diem', ARGV[5])
  if tonumber(ARGV[7]) > 0 then redis.call('PEXPIRE', KEYS[4], ARGV[7]) end
end
return 1
`;

/**
 * Settles a batch of reservations. ARGV[1] is the count n, ARGV[2..n+1] each one's number of keys; then
 * each one's keys and arguments follow the other's in KEYS and ARGV.
 * Per reservation, KEYS: gen, usd, diem-of-day, key-period hash, reservation, deadlines, then windows to
 * correct; ARGV: id, held usd, held diem, charged usd, charged diem, tombstone ttl, claimed tombstone ttl,
 * then a delta per window (A[i + 1] for K[i]). The record shrinks to its state, remembered briefly, or a
 * day if a sweeper claimed it (`cl`): its owner may still finalize it late.
 * A reservation this Redis does not know was lost (flush, restart): mirrors rebuilt since may lack its
 * charge, so it is counted in (at worst twice: the account may spend less, never more). A mirror that
 * is absent is not created: the generation is bumped so that a rebuild racing this one starts over. A
 * currency the reservation neither held nor was charged changes nothing, so its mirror is not looked at.
 * Replies one 1 per reservation settled now, 0 per one settled before.
 */
export const FINALIZE = `${HELPERS}
local function finalize(K, A)
  local rec = redis.call('HMGET', K[5], 'st', 'usd', 'diem', 'cl')
  local st = rec[1]
  if st == 'done' then return 0 end
  local lost = not st
  -- What was held is what the record says: a caller whose reserve reply never came cancels without knowing.
  local heldUsd = tonumber(rec[2] or A[2])
  local heldDiem = tonumber(rec[3] or A[3])
  if lost then
    heldUsd = 0
    heldDiem = 0
  end
  local usdDelta = heldUsd - tonumber(A[4])
  local diemDelta = tonumber(A[5]) - heldDiem
  local usdTouched = heldUsd ~= 0 or tonumber(A[4]) ~= 0
  local diemTouched = heldDiem ~= 0 or tonumber(A[5]) ~= 0
  local bump = false
  if usdTouched then
    if redis.call('EXISTS', K[2]) == 1 then redis.call('INCRBY', K[2], fmt(usdDelta)) else bump = true end
  end
  if diemTouched then
    if redis.call('EXISTS', K[3]) == 1 then redis.call('INCRBY', K[3], fmt(diemDelta)) else bump = true end
  end
  if usdTouched or diemTouched then
    if redis.call('EXISTS', K[4]) == 1 then
      if usdDelta ~= 0 then redis.call('HINCRBY', K[4], 'usd', fmt(-usdDelta)) end
      if diemDelta ~= 0 then redis.call('HINCRBY', K[4], 'diem', fmt(diemDelta)) end
    else
      bump = true
    end
  end
  if bump then redis.call('INCR', K[1]) end
  if not lost then
    for i = 7, #K do
      if redis.call('EXISTS', K[i]) == 1 then redis.call('INCRBY', K[i], A[i + 1]) end
    end
  end
  redis.call('DEL', K[5])
  redis.call('HSET', K[5], 'st', 'done')
  redis.call('PEXPIRE', K[5], rec[4] and A[7] or A[6])
  redis.call('ZREM', K[6], A[1])
  return 1
end
local n = tonumber(ARGV[1])
local ki, ai = 0, n + 1
local out = {}
for j = 1, n do
  local nk = tonumber(ARGV[1 + j])
  local K, A = {}, {}
  for i = 1, nk do K[i] = KEYS[ki + i] end
  for i = 1, nk + 1 do A[i] = ARGV[ai + i] end
  ki = ki + nk
  ai = ai + nk + 1
  out[j] = finalize(K, A)
end
return out
`;

/**
 * KEYS: the account's deadlines, the sweep index. ARGV: now, limit, claim ms, reservation key prefix, account id.
 * Claims reservations past their deadline by pushing the deadline out (another sweeper takes over only if
 * this claim lapses), drops finished ones, and keeps the account in the index while it has any.
 * The index is global, so this one script (the background sweep, never a request) spans two slots.
 */
export const CLAIM_EXPIRED = `
local now = tonumber(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[2])
local out = {}
for _, id in ipairs(ids) do
  local r = redis.call('HMGET', ARGV[4] .. id, 'st', 'usd', 'diem', 'd')
  if r[1] == 'held' then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), id)
    redis.call('HSET', ARGV[4] .. id, 'cl', '1')
    out[#out + 1] = id
    out[#out + 1] = r[2]
    out[#out + 1] = r[3]
    out[#out + 1] = r[4]
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then redis.call('ZADD', KEYS[2], first[2], ARGV[5]) else redis.call('ZREM', KEYS[2], ARGV[5]) end
return out
`;

/**
 * KEYS: the key's failure log, the block. ARGV: now, threshold, window ms, block ms. 1 when this failure
 * starts a block. The log keeps the newest `threshold + 1` failure times, so the window slides exactly:
 * the budget is spent when the oldest of them is younger than the window.
 */
export const RECORD_FAILURE = `
local keep = tonumber(ARGV[2])
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, keep)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local oldest = redis.call('LINDEX', KEYS[1], keep)
if not oldest or tonumber(ARGV[1]) - tonumber(oldest) >= tonumber(ARGV[3]) then return 0 end
local blocked = redis.call('GET', KEYS[2])
if blocked and tonumber(blocked) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], tostring(tonumber(ARGV[1]) + tonumber(ARGV[4])), 'PX', ARGV[4])
return 1
`;

/** KEYS: usd. ARGV: delta. An operator's credit or debit reaches the mirror only if it exists. */
export const ADJUST_USD = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], ARGV[1]) end
return 0
`;
