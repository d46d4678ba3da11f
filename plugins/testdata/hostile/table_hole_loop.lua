-- want: memory
-- error: memory limit of 16 MiB exceeded
-- Small holes, many tables.
function f(ctx)
  local kept = {}
  while true do
    local t = {}
    t[1000] = 1
    kept[#kept + 1] = t
  end
end
