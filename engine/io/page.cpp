// The what-if page of `kimsim serve` (GET /): one self-contained HTML file with its script,
// embedded in the binary (no CDN, no network). German by default, English by the switch. It only
// calls the JSON API of io/whatif.cpp; everything it shows comes from there.
#include <string_view>

namespace kimsim::io {

std::string_view whatif_page() {
  return R"page(<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>kimsim – Was-wäre-wenn</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>
body{font-family:system-ui,sans-serif;margin:1rem 2rem;color:#222}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.2rem}
.ctl{display:grid;grid-template-columns:22rem 16rem 9rem 8rem 1fr;gap:.3rem;align-items:center;font-size:.85rem}
.why{color:#666;font-size:.75rem}.flag{border-left:4px solid #D55E00;padding:.2rem .6rem;margin:.3rem 0;max-width:60rem}
figure{margin:1rem 0}figcaption{color:#555;font-size:.85rem}
svg text{font-size:11px;fill:#222}svg .axis{stroke:#666;stroke-width:1}svg .grid{stroke:#ddd;stroke-width:1}
.legend{display:flex;gap:1rem;flex-wrap:wrap;font-size:.85rem;margin:.3rem 0}
.legend span::before{content:"";display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;background:var(--c);vertical-align:-.1rem}
.ctl input[type=text]{width:8rem;text-align:right}
table{border-collapse:collapse;font-size:.85rem}td,th{padding:.15rem .5rem;border-bottom:1px solid #ddd;text-align:right}
td:nth-child(1),td:nth-child(2),th:nth-child(1),th:nth-child(2){text-align:left}
th{cursor:pointer;background:#f3f3f3}.gain{color:#1a7f37}.loss{color:#c62828}
tr.r:hover{background:#eef}#err{color:#c62828;white-space:pre-wrap}#explain{white-space:pre-wrap;font-family:monospace;font-size:.8rem;background:#f7f7f7;padding:.5rem}
</style></head><body>
<h1 id="title"></h1>
<div><label id="l-base"></label> <select id="base"></select> <label id="l-year"></label> <select id="year"></select>
 <button id="lang">English</button> <button id="save"></button> <button id="report"></button> <button id="reset"></button> <label id="l-reopen"></label> <select id="reopen"></select></div>
<div id="err"></div>
<h2 id="h-controls"></h2><div id="controls"></div>
<h2 id="h-totals"></h2><table id="totals"></table>
<h2 id="h-summary"></h2><div id="summary"></div><div id="chart"></div>
<h2 id="h-flags"></h2><div id="flags"></div>
<h2 id="h-table"></h2><input id="search" type="search"> <table id="table"></table>
<h2 id="h-explain"></h2><div id="explain"></div>
<script>
"use strict";
const T={de:{title:"Was-wäre-wenn: KIM-Förderung",base:"Grundszenario",save:"Variante speichern",report:"Vergleichsbericht",reopen:"Gespeicherte Variante öffnen",reset:"Zurücksetzen",
controls:"Stellschrauben",totals:"Summen je Baustein",summary:"Gewinner und Verlierer",table:"Empfänger",explain:"Herleitung (Zeile anklicken)",
search:"Suchen …",year:"Jahr",flags:"Paradoxien",bst:"Baustein",budget:"Budget",alloc:"verteilt",unalloc:"nicht verteilt",pos:"Stellen (VZÄ)",name:"Name",
eur:"Euro",base_eur:"Euro (Basis)",delta:"Differenz Euro",dpos:"Differenz VZÄ",winners:"Gewinner",losers:"Verlierer",moved:"umverteilt",
paradox:"Paradoxien",none:"keine",bad:"Eingabe nicht lesbar: ",gini:"Gini der Euro je Einwohner (alle Bausteine)"},
en:{title:"What-if: KIM funding",base:"Baseline",save:"Save variant",report:"Comparison report",reopen:"Reopen a saved variant",reset:"Reset",controls:"Controls",totals:"Totals per Baustein",
summary:"Winners and losers",table:"Recipients",explain:"Trace (click a row)",search:"Search …",year:"Year",flags:"Paradoxes",bst:"Baustein",budget:"Budget",
alloc:"allocated",unalloc:"unallocated",pos:"Positions (VZÄ)",name:"Name",eur:"Euros",base_eur:"Euros (base)",delta:"Difference EUR",
dpos:"Difference VZÄ",winners:"Winners",losers:"Losers",moved:"money moved",paradox:"Paradoxes",none:"none",bad:"Cannot read: ",gini:"Gini of euros per inhabitant (all Bausteine)"}};
let lang="de",scenarios=[],current=null,year=null,controls=[],widgets={},patch={},rows=[],sortKey="delta_euros",sortDir=1,asking=false,again=false;
const $=id=>document.getElementById(id);
const t=k=>T[lang][k];
// German input: 57.000,00 -> 57000.00; 3,5 -> 3.5; plain 57000.00 as written.
function readNumber(s){s=s.trim().replace(/\s/g,"");
 if(s.includes(","))return s.replace(/\./g,"").replace(",",".");
 if(/^\d{1,3}(\.\d{3})+$/.test(s))return s.replace(/\./g,"");return s;}
// One formatter per language and number of decimals, made once: toLocaleString made one per call,
// a thousand per answer (most of the table's time).
const formats={};
function show(s){if(s===null||s===undefined)return"";const n=Number(s);if(isNaN(n))return s;
 const d=(String(s).split(".")[1]||"").length,k=lang+d;
 return(formats[k]||(formats[k]=new Intl.NumberFormat(lang==="de"?"de-DE":"en-GB",{minimumFractionDigits:d,maximumFractionDigits:d}))).format(n);}
async function api(path,body){const r=await fetch(path,body?{method:"POST",headers:{"Content-Type":"application/json"},body:JSON.stringify(body)}:{});
 const j=await r.json();if(!r.ok)throw j;return j;}
function labels(){document.documentElement.lang=lang;for(const k of["title","save","report","reset"])$(k==="title"?"title":k).textContent=t(k);
 $("l-base").textContent=t("base");$("l-year").textContent=t("year");$("l-reopen").textContent=t("reopen");for(const k of["controls","totals","summary","flags","table","explain"])$("h-"+k).textContent=t(k);
 $("search").placeholder=t("search");$("lang").textContent=lang==="de"?"English":"Deutsch";}
function buildControls(){const box=$("controls");box.innerHTML="";widgets={};
 for(const c of controls){const row=document.createElement("div");row.className="ctl";row.title=c.why||"";
  const name=document.createElement("span");name.textContent=c.path;row.appendChild(name);
  const now=patch[c.path]??c.value;
  let input,field=document.createElement("input");field.type="text";
  if(c.options){input=document.createElement("select");for(const o of c.options){const op=document.createElement("option");op.textContent=o;input.appendChild(op);}
   input.value=now??c.options[0];field.style.visibility="hidden";}
  else{input=document.createElement("input");input.type="range";input.min=c.min;input.max=c.max;input.step=c.step;input.value=now??0;field.value=show(now??"0");}
  const set=v=>{if(v===c.value)delete patch[c.path];else patch[c.path]=v;schedule();};
  // A key weight moves the key's other weights with it (weights()): the key's sum stays 1.
  const lone=c.key&&controls.filter(x=>x.key===c.key).length<2;
  if(lone){input.disabled=field.disabled=true;}
  input.oninput=()=>{if(c.key)return weights(c,input.value);if(!c.options)field.value=show(input.value);set(c.options?input.value:fixed(input.value,c.step));};
  field.onchange=()=>{const v=readNumber(field.value);if(isNaN(Number(v))){$("err").textContent=t("bad")+field.value;return;}if(c.key)return weights(c,v);input.value=v;set(v);};
  widgets[c.path]={input,field};
  row.appendChild(input);row.appendChild(field);const range=document.createElement("span");
  range.textContent=c.options?"":show(c.min)+" – "+show(c.max);row.appendChild(range);
  const why=document.createElement("span");why.className="why";why.textContent=c.key?c.why:"";row.appendChild(why);box.appendChild(row);}}
// Key weights in exact decimals: integers of the published step (0.001: S=1000). The moved weight
// takes v; the others share S-v in proportion to what they had, each rounded down, the remainder
// to the largest of them, so that the key's weights sum to exactly S steps, that is 1.
function weights(c,v){const d=(String(c.step).split(".")[1]||"").length,S=10**d;
 const vi=Math.min(S,Math.max(0,Math.round(Number(v)*S)));const others=controls.filter(x=>x.key===c.key&&x!==c);
 const old=others.map(x=>Number(patch[x.path]??x.value));const sum=old.reduce((a,b)=>a+b,0),rest=S-vi;
 const parts=others.map((x,i)=>sum>0?Math.floor(rest*old[i]/sum):Math.floor(rest/others.length));
 let big=0;old.forEach((o,i)=>{if(o>old[big])big=i;});parts[big]+=rest-parts.reduce((a,b)=>a+b,0);
 const put=(x,k)=>{const txt=(k/S).toFixed(d);widgets[x.path].input.value=txt;widgets[x.path].field.value=show(txt);
  if(txt===x.value)delete patch[x.path];else patch[x.path]=txt;};
 put(c,vi);others.forEach((x,i)=>put(x,parts[i]));schedule();}
function fixed(v,step){const d=(String(step).split(".")[1]||"").length;return Number(v).toFixed(Math.max(d,String(step).includes(".")?d:0));}
// A change is asked for at once (an answer takes a few ms; a pause to let a slider rest would be
// most of the 100 ms a planner may wait). While an answer is awaited, further changes wait for
// it and are then asked for together: one request at a time, the last answer the latest patch's.
function schedule(){if(asking){again=true;return;}asking=true;
 evaluate(false).finally(()=>{asking=false;if(again){again=false;schedule();}});}
async function evaluate(rebuild){try{const r=await api("/api/evaluate",{scenario:current.name,year,patch,lang});$("err").textContent="";
 if(rebuild){controls=r.controls;buildControls();}render(r);}
 catch(e){$("err").textContent=(e.path||"")+": "+(e.message||e)+(e.hint?"\n"+e.hint:"");}}
function render(r){const tt=$("totals");tt.innerHTML="";
 tt.appendChild(tr([t("bst"),t("budget"),t("alloc"),t("unalloc"),t("pos")],"th"));
 for(const x of r.totals)tt.appendChild(tr([x.baustein,show(x.budget_eur),show(x.allocated_eur),show(x.unallocated_eur),show(x.positions)]));
 const v=r.comparison.variants[0];const px=r.comparison.paradoxes||[];
 $("summary").textContent=`${t("winners")}: ${v.winners.count} (+${show(v.winners.gained_eur)} €) · ${t("losers")}: ${v.losers.count} (−${show(v.losers.lost_eur)} €) · ${t("moved")}: ${show(v.money_moved_eur)} € · ${t("paradox")}: ${px.length||t("none")}`;
 // The report's own chart (inline SVG drawn by the server) and its paradox wording.
 $("chart").innerHTML=r.chart_svg;const fl=$("flags");fl.innerHTML="";
 for(const f of r.paradox_flags){const e=document.createElement("p");e.className="flag";e.textContent=f;fl.appendChild(e);}
 if(!r.paradox_flags.length)fl.textContent=t("none");
 const gini=k=>{const f=(r.comparison.fairness[k]||{bausteine:[]}).bausteine.find(b=>b.baustein==="total");const g=f&&f.gini_per_unit_of.population;return g==null?"–":show(g.toFixed(4));};
 $("summary").textContent+=` · ${t("gini")}: ${gini(0)} → ${gini(1)}`;
 rows=r.recipients;drawTable();}
function tr(cells,tag="td"){const row=document.createElement("tr");for(const c of cells){const e=document.createElement(tag);e.textContent=c;row.appendChild(e);}return row;}
function drawTable(){const tb=$("table");tb.innerHTML="";const keys=["ags","name","baustein","positions","euros","base_euros","delta_euros","delta_positions"];
 const head=tr(["AGS",t("name"),t("bst"),t("pos"),t("eur"),t("base_eur"),t("delta"),t("dpos")],"th");
 head.childNodes.forEach((th,i)=>th.onclick=()=>{sortDir=sortKey===keys[i]?-sortDir:1;sortKey=keys[i];drawTable();});tb.appendChild(head);
 const q=$("search").value.toLowerCase();const num=k=>!["ags","name","baustein"].includes(k);
 const rowsDrawn=document.createDocumentFragment();const list=rows.filter(r=>!q||r.name.toLowerCase().includes(q)||r.ags.includes(q)).sort((a,b)=>{
  const x=num(sortKey)?Number(a[sortKey]):a[sortKey],y=num(sortKey)?Number(b[sortKey]):b[sortKey];return(x<y?-1:x>y?1:0)*sortDir;});
 for(const r of list){const row=tr([r.ags,r.name,r.baustein,show(r.positions),show(r.euros),show(r.base_euros),show(r.delta_euros),show(r.delta_positions)]);
  row.className="r";const d=Number(r.delta_euros);row.childNodes[6].className=d>0?"gain":d<0?"loss":"";
  row.onclick=()=>explain(r);rowsDrawn.appendChild(row);}
 tb.appendChild(rowsDrawn);}
async function explain(r){try{const e=await api("/api/explain",{scenario:current.name,year,patch,ags:r.ags,baustein:r.baustein});
 $("explain").textContent=e.explain.bausteine.map(b=>b.id+"\n"+b.steps.map(s=>"  "+s.label+": "+s.value+(s.place?"  ["+s.place+"]":"")).join("\n")).join("\n\n");}
 catch(e){$("explain").textContent=(e.path||"")+": "+(e.message||e);}}
async function save(){try{const v=await api("/api/variant",{scenario:current.name,year,patch});
 const a=document.createElement("a");a.href=URL.createObjectURL(new Blob([v.yaml],{type:"text/yaml"}));a.download=v.file.split("/").pop();a.click();}
 catch(e){$("err").textContent=(e.path||"")+": "+(e.message||e);}}
// The comparison's report.html (the report `kimsim compare` writes), downloaded to keep beside the variant.
async function report(){try{const r=await fetch("/api/report",{method:"POST",headers:{"Content-Type":"application/json"},
 body:JSON.stringify({scenario:current.name,year,patch,lang})});if(!r.ok)throw await r.json();
 const a=document.createElement("a");a.href=URL.createObjectURL(await r.blob());a.download=current.name+"-"+year+"-whatif-report.html";a.click();}
 catch(e){$("err").textContent=(e.path||"")+": "+(e.message||e);}}
function pick(name,y,p){current=scenarios.find(s=>s.name===name);year=y??current.year;patch=p??{};$("base").value=name;const ys=$("year");ys.innerHTML="";
 for(const y of current.years){const o=document.createElement("option");o.value=o.textContent=y;ys.appendChild(o);}ys.value=year;evaluate(true);}
// A saved variant of the folder's variants/: its base, year and patch, as the server reads them back from the file.
async function reopen(name){if(!name)return;try{const r=await api("/api/reopen",{variant:name});pick(r.scenario,r.year,r.patch);}
 catch(e){$("err").textContent=(e.path||"")+": "+(e.message||e)+(e.hint?"\n"+e.hint:"");}}
// Another year has other base values (budgets, rates by year): its controls, the patch anew.
$("year").onchange=e=>{year=Number(e.target.value);patch={};evaluate(true);};
$("lang").onclick=()=>{lang=lang==="de"?"en":"de";labels();buildControls();evaluate(false);};
$("save").onclick=save;$("report").onclick=report;$("reopen").onchange=e=>reopen(e.target.value);$("reset").onclick=()=>pick(current.name);$("search").oninput=drawTable;$("base").onchange=e=>pick(e.target.value);
(async()=>{labels();const r=await api("/api/scenarios");scenarios=r.scenarios.filter(s=>!s.error);
 if(!scenarios.length){$("err").textContent=(lang==="de"?"Kein Szenario des Ordners lässt sich laden: ":"No scenario of the folder loads: ")+r.scenarios.map(s=>s.name+": "+s.error).join("\n");return;}
 for(const s of scenarios){const o=document.createElement("option");o.value=o.textContent=s.name;$("base").appendChild(o);}
 for(const v of["",...(r.variants||[])]){const o=document.createElement("option");o.value=o.textContent=v;$("reopen").appendChild(o);}
 const first=scenarios.find(s=>s.name==="kim-nrw-2021")||scenarios[0];$("base").value=first.name;pick(first.name);})();
</script></body></html>
)page";
}

}  // namespace kimsim::io
