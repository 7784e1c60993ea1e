--
-- ts_utils: ntopng's time-series API for scripts (ts_utils.newSchema with
-- addTag/addMetric, ts_utils.append, ts_utils.query, ts_utils.getSchema)
-- over flowgate's time-series store (history/, through the flowgate_ts
-- bridge of lua/api). The schemas flowgate writes (iface:traffic,
-- host:traffic, ...) are known without being defined; a script's own
-- schema is registered with the store at its first append or query.
-- Failures are logged with traceError and answer false/nil, as ntopng's.
--

local has_store, ts = pcall(require, "flowgate_ts")
if not has_store then
  -- a state without lua/api's bindings: every call fails cleanly
  local function none() return nil, "no time-series store in this Lua state" end
  ts = {schema = function() return nil end, define = none, append = none, query = none}
end

local ts_utils = {}

ts_utils.metrics = {
  counter = "counter",
  gauge = "gauge",
}

-- ts_utils.schemas[name]: the schemas this state knows (defined or looked up)
ts_utils.schemas = {}

local schema_mt = {}
schema_mt.__index = schema_mt

function schema_mt:addTag(name)
  if not self.tags[name] then
    self._tags[#self._tags + 1] = name
    self.tags[name] = true
    self._defined = nil
  end
end

function schema_mt:addMetric(name)
  if not self.metrics[name] then
    self._metrics[#self._metrics + 1] = name
    self.metrics[name] = true
    self._defined = nil
  end
end

local function newSchemaObject(name, options)
  options = options or {}
  options.step = options.step or 60
  options.metrics_type = options.metrics_type or ts_utils.metrics.counter
  return setmetatable({name = name, options = options, _tags = {}, _metrics = {}, tags = {}, metrics = {}}, schema_mt)
end

local function logError(msg)
  if traceError then
    traceError(TRACE_ERROR, TRACE_CONSOLE, "ts_utils: " .. tostring(msg))
  end
end

-- newSchema(name, {step = 60, metrics_type = ts_utils.metrics.counter})
function ts_utils.newSchema(name, options)
  local s = newSchemaObject(name, options)
  ts_utils.schemas[name] = s
  return s
end

-- getSchema(name): a schema this state defined, or one of the store's.
function ts_utils.getSchema(name)
  local s = ts_utils.schemas[name]
  if s then
    return s
  end
  local def = ts.schema(name)
  if def == nil then
    return nil
  end
  s = newSchemaObject(def.name, {step = def.step, metrics_type = def.metrics_type})
  for _, t in ipairs(def.tags) do s:addTag(t) end
  for _, m in ipairs(def.metrics) do s:addMetric(m) end
  s._defined = true
  ts_utils.schemas[name] = s
  return s
end

-- the store learns a script's schema (idempotent, checked by the store)
local function define(s)
  if s._defined then
    return true
  end
  local ok, err = ts.define(s.name, s.options.step, s.options.metrics_type, s._tags, s._metrics)
  if not ok then
    return false, err
  end
  s._defined = true
  return true
end

local function resolve(schema)
  if type(schema) == "table" then
    schema = schema.name
  end
  local s = ts_utils.getSchema(schema)
  if s == nil then
    return nil, "unknown schema " .. tostring(schema)
  end
  local ok, err = define(s)
  if not ok then
    return nil, err
  end
  return s
end

-- append(schema_name, {tag = value, ..., metric = value, ...}, timestamp)
function ts_utils.append(schema_name, tags_and_metrics, timestamp)
  local s, err = resolve(schema_name)
  if s == nil then
    logError(err)
    return false
  end
  local tags, metrics = {}, {}
  for k, v in pairs(tags_and_metrics or {}) do
    if s.tags[k] then
      tags[k] = v
    elseif s.metrics[k] then
      metrics[k] = v
    else
      logError("schema " .. s.name .. " has no tag or metric " .. tostring(k))
      return false
    end
  end
  local ok
  ok, err = ts.append(s.name, tags, metrics, timestamp or os.time())
  if not ok then
    logError(err)
    return false
  end
  return true
end

-- query(schema_name, tags, tstart, tend [, options]): {start, step, count,
-- series = {{label, data, statistics}}, statistics} or nil
function ts_utils.query(schema_name, tags, tstart, tend, options)
  local s, err = resolve(schema_name)
  if s == nil then
    logError(err)
    return nil
  end
  local res
  res, err = ts.query(s.name, tags or {}, tonumber(tstart) or 0, tonumber(tend) or 0,
    options and options.max_num_points or 0)
  if res == nil then
    logError(err)
    return nil
  end
  return res
end

return ts_utils
