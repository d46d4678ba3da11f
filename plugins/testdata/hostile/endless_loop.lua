-- want: instructions
-- error: instruction limit of 1000000 exceeded
function f(ctx)
  while true do end
end
