-- want: memory
-- error: memory limit of 16 MiB exceeded
-- No table is stored under a computed key: each new one holds the last.
function f(ctx)
  local list
  while true do list = { next = list } end
end
