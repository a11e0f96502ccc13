import re,sys,statistics as st
for f in sys.argv[1:]:
    rows=[]
    for l in open(f):
        m=re.match(r'trace step (\d+) \(epoch (\d)\): dark test recall ([\d.]+)% mean logit ([-\d.]+)',l)
        if m: rows.append([float(x) for x in m.groups()])
    for ep in (1,2):
        e=[r for r in rows if r[1]==ep and (ep==2 or r[0]>=300)]
        rec=[r[2] for r in e]
        print(f.split('/')[-1], 'epoch',ep,'(steps>=300)' if ep==1 else '', 'n',len(e),'dark recall mean %.1f median %.1f min %.1f max %.1f sd %.1f; points <80%%: %d; mean dark logit %.2f sd %.2f'%(st.mean(rec),st.median(rec),min(rec),max(rec),st.pstdev(rec),sum(x<80 for x in rec),st.mean(r[3] for r in e),st.pstdev([r[3] for r in e])))
