-- want: memory
-- error: memory limit of 16 MiB exceeded
-- {...} of thousands of values, kept.
function f(ctx)
  local big, kept = {}, {}
  for i = 1, 30000 do big[i] = i end
  local function pack(...) return { ... } end
  while true do kept[#kept + 1] = pack(unpack(big)) end
end
