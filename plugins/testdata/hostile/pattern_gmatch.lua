-- want: instructions
-- error: instruction limit of 1000000 exceeded
function f(ctx)
  local s, n = string.rep("word ", 800000), 0
  while true do
    for w in s:gmatch("%a+") do n = n + 1 end
  end
end
