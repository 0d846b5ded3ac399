/**
 * The Lua scripts of the Redis session store. Each runs atomically on the
 * server in one round trip (EVALSHA, EVAL when the server lost its script
 * cache: node-redis falls back by itself), so concurrent replicas never see
 * half an update.
 *
 * Keys are built inside the scripts from the prefix (ARGV[1]) because the
 * keys a script touches depend on what it reads (an evicted session's tenant,
 * URIs and event streams): the store needs a standalone Redis (or one shard),
 * not Redis Cluster.
 *
 * Layout under the prefix P:
 * - `s:<id>`        hash: r (the record's fixed fields, JSON), seen (lastSeen), lvl; PEXPIREAT its expiry
 * - `all`           zset id → expiry (ms): count, total cap, pruning
 * - `t:<tenant>`    zset id → lastSeen: the tenant's count and its LRU order
 * - `tsize`         zset tenant → sessions held: the largest holder for the total cap
 * - `own`           hash id → tenant (outlives the record until pruned, so pruning finds the tenant)
 * - `subs`          hash id → JSON array of subscribed URIs (same reason)
 * - `u:<uri>`       set of ids subscribed to the URI
 * - `en:<id>`       the session's event counter (seq)
 * - `es:<id>`       zset streamId → seq at creation (to find, bound and delete the streams)
 * - `ex:<id>:<sid>` stream of one (session, streamId), entry ids `<seq>-1`, field m = message JSON
 * - `rl:<key>`      token bucket (hash tok, ts)
 *
 * Times come from the caller (the same `now` the memory store compares
 * against), as decimal strings: Lua formats numbers with %.14g, exact for
 * ms timestamps but not for arbitrary sums, so expiries are computed in JS.
 */
import { defineScript } from 'redis';
import type { CommandParser } from 'redis';

/** Shared by the scripts that remove sessions. drop(id) removes everything of a session; prune(now, n) drops up to n expired ones. */
const PRELUDE = `
local P = ARGV[1]
local function drop(id)
  local existed = redis.call('DEL', P..'s:'..id)
  redis.call('ZREM', P..'all', id)
  local tenant = redis.call('HGET', P..'own', id)
  if tenant then
    redis.call('HDEL', P..'own', id)
    if redis.call('ZREM', P..'t:'..tenant, id) == 1 and tonumber(redis.call('ZINCRBY', P..'tsize', -1, tenant)) <= 0 then
      redis.call('ZREM', P..'tsize', tenant)
    end
  end
  local subs = redis.call('HGET', P..'subs', id)
  if subs then
    for _, uri in ipairs(cjson.decode(subs)) do redis.call('SREM', P..'u:'..uri, id) end
    redis.call('HDEL', P..'subs', id)
  end
  for _, s in ipairs(redis.call('ZRANGE', P..'es:'..id, 0, -1)) do redis.call('DEL', P..'ex:'..id..':'..s) end
  redis.call('DEL', P..'es:'..id, P..'en:'..id)
  return existed
end
local function prune(now, limit)
  local ids = redis.call('ZRANGEBYSCORE', P..'all', '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do drop(id) end
  return ids
end
local function live(id, now)
  local exp = redis.call('ZSCORE', P..'all', id)
  return exp and tonumber(exp) > tonumber(now) and redis.call('EXISTS', P..'s:'..id) == 1
end
local function record(id)
  local h = redis.call('HMGET', P..'s:'..id, 'r', 'seen', 'lvl')
  return {h[1], h[2], h[3], redis.call('HGET', P..'subs', id)}
end
`;

/** Candidates returned per cap check: a tenant's oldest ids (paged), the largest holders' oldest ids. */
export const CANDIDATE_PAGE = 16;

/**
 * ARGV: P id tenant now expiry maxSessions maxPerTenant fixedJson logLevel subsJson tenantPick totalPick offset.
 * Returns {'ok', 0, evicted} or, changing nothing, {'tenant'|'total', held, candidates} (no candidates: refused).
 */
const CREATE = `${PRELUDE}
local id, tenant, now, exp = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local maxAll, maxTenant = tonumber(ARGV[6]), tonumber(ARGV[7])
local pickT, pickA, offset = ARGV[11], ARGV[12], tonumber(ARGV[13])
prune(now, 10000)
if redis.call('ZSCORE', P..'all', id) or redis.call('EXISTS', P..'s:'..id) == 1 then drop(id) end
local tkey = P..'t:'..tenant
local held = redis.call('ZCARD', tkey)
local evictT, evictA = false, false
if held >= maxTenant then
  if pickT ~= '' and redis.call('ZSCORE', tkey, pickT) then evictT = pickT
  else return {'tenant', held, redis.call('ZRANGE', tkey, offset, offset + ${CANDIDATE_PAGE - 1})} end
  held = held - 1
end
local total = redis.call('ZCARD', P..'all')
if evictT then total = total - 1 end
if total >= maxAll then
  local after = held + 1
  local owner = pickA ~= '' and redis.call('HGET', P..'own', pickA)
  if owner and owner ~= tenant and tonumber(redis.call('ZSCORE', P..'tsize', owner) or '0') > after then evictA = pickA
  else
    local cands = {}
    for _, t in ipairs(redis.call('ZREVRANGEBYSCORE', P..'tsize', '+inf', '('..after)) do
      for _, c in ipairs(redis.call('ZRANGE', P..'t:'..t, 0, ${CANDIDATE_PAGE - 1})) do cands[#cands + 1] = c end
      if #cands >= ${CANDIDATE_PAGE * 4} then break end
    end
    return {'total', total, cands}
  end
end
local evicted = {}
if evictT then drop(evictT); evicted[#evicted + 1] = evictT end
if evictA then drop(evictA); evicted[#evicted + 1] = evictA end
local key = P..'s:'..id
redis.call('HSET', key, 'r', ARGV[8], 'seen', now)
if ARGV[9] ~= '' then redis.call('HSET', key, 'lvl', ARGV[9]) end
redis.call('PEXPIREAT', key, exp)
redis.call('ZADD', P..'all', exp, id)
redis.call('ZADD', tkey, now, id)
redis.call('HSET', P..'own', id, tenant)
redis.call('ZINCRBY', P..'tsize', 1, tenant)
if ARGV[10] ~= '[]' then
  redis.call('HSET', P..'subs', id, ARGV[10])
  for _, uri in ipairs(cjson.decode(ARGV[10])) do redis.call('SADD', P..'u:'..uri, id) end
end
return {'ok', 0, evicted}
`;

/** ARGV: P id now. The record parts {r, seen, lvl, subs}, or nil. Read-only. */
const GET = `${PRELUDE}
if not live(ARGV[2], ARGV[3]) then return false end
return record(ARGV[2])
`;

/**
 * ARGV: P id now expiry ttl principal. Slides the expiry of the principal's own session; the record parts, or
 * nil (and drops what is left of an expired one). Another principal's id changes nothing.
 */
const TOUCH = `${PRELUDE}
local id, now, exp, ttl = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
if not live(id, now) then
  if redis.call('ZSCORE', P..'all', id) then drop(id) end
  return false
end
local key = P..'s:'..id
if cjson.decode(redis.call('HGET', key, 'r')).principal ~= ARGV[6] then return false end
redis.call('HSET', key, 'seen', now)
redis.call('PEXPIREAT', key, exp)
redis.call('ZADD', P..'all', exp, id)
local tenant = redis.call('HGET', P..'own', id)
if tenant then redis.call('ZADD', P..'t:'..tenant, now, id) end
for _, k in ipairs({P..'en:'..id, P..'es:'..id}) do
  local left = redis.call('PTTL', k)
  if left ~= -2 and left < ttl then redis.call('PEXPIRE', k, ttl) end
end
return record(id)
`;

/** ARGV: P id now level. */
const SET_LEVEL = `${PRELUDE}
if live(ARGV[2], ARGV[3]) then redis.call('HSET', P..'s:'..ARGV[2], 'lvl', ARGV[4]) end
return 0
`;

/** ARGV: P id now uri max. 'added' | 'present' | 'full' | 'gone'. */
const SUBSCRIBE = `${PRELUDE}
local id, uri = ARGV[2], ARGV[4]
if not live(id, ARGV[3]) then return 'gone' end
local raw = redis.call('HGET', P..'subs', id)
local list = raw and cjson.decode(raw) or {}
for _, u in ipairs(list) do if u == uri then return 'present' end end
if #list >= tonumber(ARGV[5]) then return 'full' end
list[#list + 1] = uri
redis.call('HSET', P..'subs', id, cjson.encode(list))
redis.call('SADD', P..'u:'..uri, id)
return 'added'
`;

/** ARGV: P id now uri. */
const UNSUBSCRIBE = `${PRELUDE}
local id, uri = ARGV[2], ARGV[4]
if not live(id, ARGV[3]) then return 0 end
local raw = redis.call('HGET', P..'subs', id)
if not raw then return 0 end
local kept = {}
for _, u in ipairs(cjson.decode(raw)) do if u ~= uri then kept[#kept + 1] = u end end
if #kept == 0 then redis.call('HDEL', P..'subs', id) else redis.call('HSET', P..'subs', id, cjson.encode(kept)) end
redis.call('SREM', P..'u:'..uri, id)
return 0
`;

/** ARGV: P uri now. Live subscribers; ids of dropped sessions leave the set. */
const SUBSCRIBERS = `${PRELUDE}
local key, out = P..'u:'..ARGV[2], {}
for _, id in ipairs(redis.call('SMEMBERS', key)) do
  local exp = redis.call('ZSCORE', P..'all', id)
  if not exp then redis.call('SREM', key, id)
  elseif tonumber(exp) > tonumber(ARGV[3]) then out[#out + 1] = id end
end
return out
`;

/** ARGV: P id. 1 if the record existed. */
const DELETE = `${PRELUDE}
return drop(ARGV[2])
`;

/** ARGV: P now limit. The ids dropped. */
const REAP = `${PRELUDE}
return prune(ARGV[2], tonumber(ARGV[3]))
`;

/** ARGV: P now tenant ('' = all sessions). Live sessions after pruning. */
const COUNT = `${PRELUDE}
local now = ARGV[2]
prune(now, 10000)
if ARGV[3] == '' then return redis.call('ZCOUNT', P..'all', '('..now, '+inf') end
return redis.call('ZCARD', P..'t:'..ARGV[3])
`;

/**
 * ARGV: P id streamId messageJson maxLen ttl maxStreams channel [seq].
 * Appends one event (seq from the session's counter, or the writer's own seq
 * for a single-writer stream, raised past the stream's last entry), bounds the stream and
 * the session's streams, refreshes the expiries, publishes `seq\nstreamId\njson`.
 * The counter and stream index never expire before a stream does, so a seq is
 * never reused while an id carrying it can still be replayed.
 */
const STORE_EVENT = `
local P, id, sid, msg = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ttl = tonumber(ARGV[6])
local skey, es, en = P..'ex:'..id..':'..sid, P..'es:'..id, P..'en:'..id
local order = redis.call('INCR', en)
local seq = order
if ARGV[9] ~= '' then
  -- The writer's own seq (a single-writer stream); never at or below the stream's last entry.
  seq = tonumber(ARGV[9])
  local last = redis.call('XREVRANGE', skey, '+', '-', 'COUNT', 1)[1]
  local l = last and tonumber(string.match(last[1], '^(%d+)'))
  if l and l >= seq then seq = l + 1 end
end
seq = string.format('%.0f', seq)
if redis.call('EXISTS', skey) == 0 then
  redis.call('ZADD', es, order, sid)
  local extra = redis.call('ZCARD', es) - tonumber(ARGV[7])
  if extra > 0 then
    for _, s in ipairs(redis.call('ZRANGE', es, 0, extra - 1)) do redis.call('DEL', P..'ex:'..id..':'..s) end
    redis.call('ZREMRANGEBYRANK', es, 0, extra - 1)
  end
end
redis.call('XADD', skey, 'MAXLEN', ARGV[5], seq..'-1', 'm', msg)
redis.call('PEXPIRE', skey, ttl)
for _, k in ipairs({es, en}) do
  if redis.call('PTTL', k) < ttl then redis.call('PEXPIRE', k, ttl) end
end
redis.call('PUBLISH', ARGV[8], seq..'\\n'..sid..'\\n'..msg)
return seq
`;

/** ARGV: P id streamId seq. The entries after seq, or nil when the stream is unknown. */
const REPLAY = `
local key = ARGV[1]..'ex:'..ARGV[2]..':'..ARGV[3]
if redis.call('EXISTS', key) == 0 then return false end
return redis.call('XRANGE', key, '('..ARGV[4]..'-1', '+')
`;

/** ARGV: P key requestsPerSec burst. 0 = allowed, else seconds to wait (≥ 1). Redis's clock, so every replica agrees. */
const TAKE_TOKEN = `
local key = ARGV[1]..'rl:'..ARGV[2]
local rate, burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', key, 'tok', 'ts')
local tok = tonumber(v[1]) or burst
local last = tonumber(v[2]) or now
if rate > 0 then tok = math.min(burst, tok + math.max(0, now - last) * rate / 1000) end
local allowed = tok >= 1
if allowed then tok = tok - 1 end
redis.call('HSET', key, 'tok', tostring(tok), 'ts', tostring(now))
local idle = rate > 0 and math.ceil(burst / rate * 1000) or 3600000
redis.call('PEXPIRE', key, idle + 1000)
if allowed then return 0 end
if rate <= 0 then return 3600 end
return math.max(1, math.ceil((1 - tok) / rate))
`;

/** ARGV: prefix, key, holder, ttlMs. 1 when the lease is (now) the holder's, renewed; 0 when another holds it. */
const LEASE = `
local key = ARGV[1] .. 'lease:' .. ARGV[2]
local cur = redis.call('GET', key)
if cur and cur ~= ARGV[3] then return 0 end
redis.call('SET', key, ARGV[3], 'PX', ARGV[4])
return 1
`;

const script = (SCRIPT: string) =>
  defineScript({
    SCRIPT,
    NUMBER_OF_KEYS: 0,
    parseCommand(parser: CommandParser, ...args: string[]) {
      parser.push(...args);
    },
    transformReply: undefined as unknown as () => unknown,
  });

export const SCRIPTS = {
  hlCreate: script(CREATE),
  hlGet: script(GET),
  hlTouch: script(TOUCH),
  hlSetLevel: script(SET_LEVEL),
  hlSubscribe: script(SUBSCRIBE),
  hlUnsubscribe: script(UNSUBSCRIBE),
  hlSubscribers: script(SUBSCRIBERS),
  hlDelete: script(DELETE),
  hlReap: script(REAP),
  hlCount: script(COUNT),
  hlStoreEvent: script(STORE_EVENT),
  hlReplay: script(REPLAY),
  hlTakeToken: script(TAKE_TOKEN),
  hlLease: script(LEASE),
};
