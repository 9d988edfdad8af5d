-- wrk script: POST a webhook with a unique message id per request, so every request is a
-- new event that ingress validates and commits (no dedup shortcut).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"ticket_id":"bench-%d-%d","event_type":"customer_message","message_id":"m-%d-%d"}',
    thread_id, counter, thread_id, counter)
  return wrk.format("POST", "/webhook", {
    ["content-type"] = "application/json",
    ["x-richpanel-webhook-token"] = "bench-token",
  }, body)
end
