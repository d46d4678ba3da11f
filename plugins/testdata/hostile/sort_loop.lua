-- want: instructions
-- error: instruction limit of 1000000 exceeded
function f(ctx)
  local t = {}
  for i = 1, 100000 do t[i] = -i end
  while true do table.sort(t) end
end
