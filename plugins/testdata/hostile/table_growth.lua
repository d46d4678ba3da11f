-- want: memory
-- error: memory limit of 16 MiB exceeded
-- Records kept in a list: tables are counted as they are made.
function f(ctx)
  local t, i = {}, 0
  while true do i = i + 1; t[i] = { name = "item", n = i } end
end
